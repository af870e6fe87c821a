import yaml, collections
M = collections.OrderedDict()
def m(k, en, zh): M[k] = (en, zh)
# errors
m("error.generic", "Error.", "错误。")
m("error.config", "Configuration error.", "配置错误。")
m("error.config_missing", "Config file not found: {file}", "找不到配置文件：{file}")
m("error.config_unreadable", "Config file {file} cannot be read: {reason}", "无法读取配置文件 {file}：{reason}")
m("error.config_yaml", "Config file {file} is not valid YAML: {reason}", "配置文件 {file} 不是有效的 YAML：{reason}")
m("error.config_not_mapping", "Config file {file} must contain a mapping of keys (e.g. `contact_coverage:`).", "配置文件 {file} 必须是键值映射（例如 `contact_coverage:`）。")
m("error.config_invalid", "Config file {file}: key `{key}` is invalid: {reason}. Allowed keys here: {allowed}. ({count} problem(s) in total)", "配置文件 {file}：键 `{key}` 无效：{reason}。此处允许的键：{allowed}。（共 {count} 个问题）")
m("error.source", "Source error.", "数据源错误。")
m("error.source_missing", "Source not found: {source}. Expected a DuckDB or SQLite file, a folder of CSV/Parquet files, or an Ibis URL.", "找不到数据源：{source}。需要 DuckDB 或 SQLite 文件、CSV/Parquet 文件夹或 Ibis 连接 URL。")
m("error.source_unreadable", "Source {source} cannot be opened: {reason}", "无法打开数据源 {source}：{reason}")
m("error.source_format", "{source} is neither a DuckDB nor an SQLite database. Expected a .duckdb/.sqlite file, a folder of CSV/Parquet files, or an Ibis URL.", "{source} 既不是 DuckDB 也不是 SQLite 数据库。需要 .duckdb/.sqlite 文件、CSV/Parquet 文件夹或 Ibis 连接 URL。")
m("error.folder_empty", "Folder {source} holds no <table>.csv or <table>.parquet files.", "文件夹 {source} 中没有 <表名>.csv 或 <表名>.parquet 文件。")
m("error.table_missing", "Table {table} (looked for `{physical}`) is missing in {source}.", "数据源 {source} 中缺少表 {table}（查找的名称：`{physical}`）。")
m("error.table_unreadable", "Table {table} cannot be read: {reason}", "无法读取表 {table}：{reason}")
m("error.validation_failed", "The data has {count} blocking problem(s); run `crmlens doctor` for the full list.", "数据存在 {count} 个阻断性问题；运行 `crmlens doctor` 查看完整列表。")
m("error.analysis", "Analysis error.", "分析错误。")
m("error.no_revenue", "No account in {table} has an annual_revenue value ({accounts:int} accounts); key accounts cannot be ranked.", "{table} 中没有任何客户有 annual_revenue 值（共 {accounts:int} 个客户），无法按收入筛选重要客户。")
m("error.analysis_unknown", "Unknown analysis: {name}. Registered analyses: {allowed}", "未知分析：{name}。已注册的分析：{allowed}")
m("error.output", "Output error.", "输出错误。")
m("error.output_dir", "Cannot write to {path}: {reason}", "无法写入 {path}：{reason}")
m("error.format_unknown", "Unknown format {format}; allowed: {allowed}", "未知格式 {format}；可选：{allowed}")
m("error.accounts_positive", "--accounts must be at least 1 (got {accounts}).", "--accounts 至少为 1（收到 {accounts}）。")
m("error.results_missing", "{path} holds no saved results (expected a results/ folder written by `crmlens run`).", "{path} 中没有已保存的结果（需要 `crmlens run` 写出的 results/ 文件夹）。")
m("error.lang_unknown", "Unknown language {lang}; allowed: {allowed}", "未知语言 {lang}；可选：{allowed}")
m("error.as_of", "--as-of must be a date like 2026-01-31 (got {value}).", "--as-of 必须是形如 2026-01-31 的日期（收到 {value}）。")
m("error.usage", "Usage error: {reason}", "用法错误：{reason}")
m("error.unexpected", "Unexpected error ({kind}): {reason}. Re-run with --debug for the traceback.", "意外错误（{kind}）：{reason}。加 --debug 重新运行可查看调用栈。")
# validation issues
m("dq.table_missing", "Table {table} is missing (looked for `{physical}`); needed by: {analyses}.", "缺少表 {table}（查找的名称：`{physical}`）；需要它的分析：{analyses}。")
m("dq.table_unreadable", "Table {table} cannot be read: {reason}", "无法读取表 {table}：{reason}")
m("dq.table_empty", "Table {table} is empty; needed by: {analyses}.", "表 {table} 为空；需要它的分析：{analyses}。")
m("dq.column_missing", "Column {table}.{column} is missing (expected type {expected}); needed by: {analyses}.", "缺少列 {table}.{column}（期望类型 {expected}）；需要它的分析：{analyses}。")
m("dq.column_type", "Column {table}.{column} has type {found}; expected {expected}.", "列 {table}.{column} 的类型为 {found}；期望 {expected}。")
m("dq.optional_column_type", "Optional column {table}.{column} has type {found} (expected {expected}); the parts using it are skipped.", "可选列 {table}.{column} 的类型为 {found}（期望 {expected}）；使用它的部分将被跳过。")
m("dq.column_all_null", "Column {table}.{column} is NULL in all {rows:int} rows.", "列 {table}.{column} 在全部 {rows:int} 行中均为空。")
m("dq.column_null_heavy", "Column {table}.{column} is NULL in {rate:pct} of {rows:int} rows.", "列 {table}.{column} 在 {rows:int} 行中有 {rate:pct} 为空。")
m("dq.duplicate_keys", "{table}.{column} has {count:int} duplicate value(s); it must be unique.", "{table}.{column} 有 {count:int} 个重复值；该列必须唯一。")
m("dq.null_keys", "{table}.{column} is NULL in {count:int} row(s); every row needs a key.", "{table}.{column} 有 {count:int} 行为空；每行都需要主键。")
m("dq.orphan_rows", "{count:int} row(s) of {table} ({share:pct}) point to a {column} that is not in {ref_table}; they are counted, not used.", "{table} 中有 {count:int} 行（{share:pct}）的 {column} 在 {ref_table} 中不存在；这些行被计数但不参与计算。")
m("dq.revenue_null", "{count:int} accounts have no annual revenue and are left out of the ranking; {high_risk:int} of them would be high risk ({enterprise:int} are Enterprise).", "{count:int} 个客户缺少年收入，未参与排名；其中 {high_risk:int} 个按规则属于高风险（{enterprise:int} 个为 Enterprise）。")
m("dq.key_employees_unknown", "{count:int} key accounts have no usable employee count: density cannot be computed for them.", "{count:int} 个重要客户缺少有效员工数，无法计算联系人密度。")
m("dq.key_zero_contacts", "{count:int} key accounts have no live contact at all.", "{count:int} 个重要客户没有任何有效联系人。")
m("dq.contacts_dept_unknown", "{count:int} live contacts have an empty or unrecognised department; they are counted apart, not dropped.", "{count:int} 个有效联系人的部门为空或无法识别；已单独计数，未被丢弃。")
m("dq.contacts_title_unrecognised", "{count:int} live contacts have a title that matches no rule; they count as non-decision-makers.", "{count:int} 个有效联系人的职位无法匹配任何规则；按非决策层计。")
m("dq.contacts_orphan", "{count:int} live contacts belong to an account that does not exist.", "{count:int} 个有效联系人所属的客户不存在（孤儿联系人）。")
m("dq.peer_fallback_groups", "{count:int} industry × size groups have fewer accounts than the peer minimum and use the red lines.", "{count:int} 个“行业 × 规模”分组的客户数低于同行阈值所需的最小样本，改用统一红线。")
# findings
m("cc.key_accounts", "Key accounts: the top {key_accounts:int} of {accounts:int} accounts with known revenue (annual revenue ≥ {threshold:usd}; {tied_excluded:int} tied accounts left out by the tie-break).", "重要客户：在 {accounts:int} 个有收入数据的客户中取前 {key_accounts:int} 个（年收入 ≥ {threshold:usd}；因并列规则排除 {tied_excluded:int} 个同额客户）。")
m("cc.high_risk", "{count:int} key accounts ({share:pct}) are high risk; {strong:int} fail both the red lines and their peer standard.", "{count:int} 个重要客户（{share:pct}）为高风险；{strong:int} 个同时未达到统一红线与同行标准。")
m("cc.fail_rates", "Of {key_accounts:int} key accounts, {density:int} are below the density red line, {decision:int} below the decision-maker red line and {coverage:int} below their department-coverage baseline.", "在 {key_accounts:int} 个重要客户中，{density:int} 个联系人密度低于红线，{decision:int} 个决策层占比低于红线，{coverage:int} 个部门覆盖低于规模基线。")
m("cc.top_industry", "{industry:t} has the most high-risk key accounts: {count:int} ({share:pct} of its key accounts).", "{industry:t}行业的高风险重要客户最多：{count:int} 个（占该行业重要客户的 {share:pct}）。")
m("cc.top_department_gap", "The most often missing department is {department:t}: absent at {count:int} key accounts ({share:pct}).", "最常缺失的部门是{department:t}：{count:int} 个重要客户（{share:pct}）没有该部门的联系人。")
m("cc.ties_at_cut", "{count:int} accounts have exactly the threshold revenue {threshold:usd} but rank after the cut (tie-break: account id).", "有 {count:int} 个客户的年收入恰好等于阈值 {threshold:usd}，但按并列规则（客户 ID）排在截断线之后。")
# recommendations
m("rec.add_executives", "Add {contacts:int} C-level/VP contacts across {accounts:int} key accounts to lift each to a 15% decision-maker ratio.", "在 {accounts:int} 个重要客户中新增 {contacts:int} 位 C 级/VP 联系人，使每个客户的决策层占比达到 15%。")
m("rec.add_contacts", "Add {contacts:int} contacts across {accounts:int} key accounts to reach the density red line.", "在 {accounts:int} 个重要客户中新增 {contacts:int} 位联系人，使联系人密度达到红线。")
m("rec.cover_departments", "Open {departments:int} new departments across {accounts:int} key accounts; start with {top_department:t}.", "在 {accounts:int} 个重要客户中新拓展 {departments:int} 个部门；优先拓展{top_department:t}。")
m("rec.queue", "Queue {accounts:int} strong-risk {size:t} accounts for {role:t}; first targets due in {first_due_days:int} days.", "将 {accounts:int} 个强风险{size:t}客户分派给{role:t}；首个目标在 {first_due_days:int} 天内到期。")
m("rec.fix_data", "Within {days:int} days fix the data: {employees_unknown:int} key accounts without employee counts, {titles:int} unrecognised titles, {departments:int} contacts without a known department.", "在 {days:int} 天内修复数据：{employees_unknown:int} 个重要客户缺少员工数，{titles:int} 个职位无法识别，{departments:int} 个联系人部门未知。")
m("rec.monitor", "Track weekly: density pass rate {density:pct}, decision-maker pass rate {decision:pct}, coverage pass rate {coverage:pct}.", "每周跟踪：密度达标率 {density:pct}，决策层达标率 {decision:pct}，部门覆盖达标率 {coverage:pct}。")
# actions
for code, en, zh, ten, tzh in [
    ("fix_employee_count", "Fix employee count", "补全员工数", "Record the account's employee count (density cannot be computed without it).", "补全该客户的员工数（缺少员工数无法计算联系人密度）。"),
    ("classify_contacts", "Fix contact titles/departments", "修正联系人职位/部门", "Fix {quantity:int} contacts with an unrecognised title or unknown department.", "修正 {quantity:int} 位职位无法识别或部门未知的联系人。"),
    ("add_executives", "Add executive contacts", "拓展高层联系人", "Add {quantity:int} C-level/VP contacts: {detail}.", "新增 {quantity:int} 位 C 级/VP 联系人：{detail}。"),
    ("add_contacts", "Add contacts", "增加联系人", "Add {quantity:int} further contacts to reach the density target.", "再增加 {quantity:int} 位联系人以达到密度目标。"),
    ("add_departments", "Open departments", "拓展部门", "Reach {quantity:int} new department(s) — {detail}.", "拓展 {quantity:int} 个新部门——{detail}。"),
    ("review_targets", "Review targets", "复核目标", "Check density, decision-maker ratio and coverage against the targets; escalate if still below.", "对照目标复核密度、决策层占比和部门覆盖；仍未达标则升级处理。"),
]:
    m(f"value.action.{code}", en, zh)
    m(f"action.{code}.text", ten, tzh)
# cli
m("cli.generating", "Generating synthetic data…", "正在生成模拟数据…")
m("cli.generated", "Wrote {path} ({format}, seed {seed}).", "已写出 {path}（{format}，种子 {seed}）。")
m("cli.doctor_title", "Data check: {source}", "数据检查：{source}")
m("cli.col.severity", "Severity", "级别")
m("cli.col.code", "Code", "代码")
m("cli.col.table", "Table", "表")
m("cli.col.column", "Column", "列")
m("cli.col.message", "Problem", "问题")
m("cli.doctor_blocking", "{count:int} blocking problem(s); blocked analyses: {analyses}.", "{count:int} 个阻断性问题；受影响的分析：{analyses}。")
m("cli.doctor_ok", "No blocking problems ({count:int} note(s)).", "没有阻断性问题（{count:int} 条提示）。")
m("cli.running", "Running analyses…", "正在运行分析…")
m("cli.rendering", "Writing the report…", "正在生成报告…")
m("cli.analysis_skipped", "Skipped {analysis}: {reason}", "已跳过 {analysis}：{reason}")
m("cli.report_written", "Report written: {path}", "报告已生成：{path}")
m("cli.demo_done", "Demo data: {db}. Analyses: {analyses}. Report: {path}", "演示数据：{db}。分析：{analyses}。报告：{path}")
# values
for k, en, zh in [
    ("blocking", "blocking", "阻断"), ("warning", "warning", "警告"), ("info", "info", "提示"), ("critical", "critical", "严重"),
    ("high", "high", "高"), ("medium", "medium", "中"), ("low", "low", "低"), ("strong", "strong", "强风险"), ("secondary", "secondary", "次级风险"), ("none", "none", "无"),
    ("True", "yes", "是"), ("False", "no", "否"),
    ("Sales", "Sales", "销售"), ("Finance", "Finance", "财务"), ("Operations", "Operations", "运营"), ("IT", "IT", "IT"), ("HR", "HR", "人力资源"),
    ("Enterprise", "Enterprise", "大型企业"), ("Mid-Market", "Mid-Market", "中型企业"), ("Small Business", "Small Business", "小型企业"), ("Unknown", "Unknown", "未知"),
    ("account_executive", "account executives", "客户经理"), ("inside_sales_marketing", "inside sales / marketing", "内部销售/市场团队"), ("customer_success", "customer success", "客户成功团队"),
    ("open", "open", "待办"), ("in_progress", "in progress", "进行中"), ("done", "done", "已完成"),
    ("exclude", "Never decision makers (checked first)", "排除（优先判断，不计为决策层）"), ("c_level", "C-level", "C 级"), ("vp", "VP", "VP 级"), ("known_other", "Other known titles", "其他已知职位"),
    ("Technology", "Technology", "科技"), ("Financial Services", "Financial Services", "金融服务"), ("Healthcare", "Healthcare", "医疗健康"), ("Pharmaceuticals", "Pharmaceuticals", "制药"),
    ("Retail", "Retail", "零售"), ("Manufacturing", "Manufacturing", "制造业"), ("Hospitality", "Hospitality", "酒店餐饮"), ("Education", "Education", "教育"),
    ("Government", "Government", "政府"), ("Insurance", "Insurance", "保险"), ("Real Estate", "Real Estate", "房地产"), ("Media", "Media", "媒体"),
    ("Consulting", "Consulting", "咨询"), ("Energy", "Energy", "能源"), ("Telecommunications", "Telecommunications", "电信"), ("Transportation", "Transportation", "交通运输"),
    ("Automotive", "Automotive", "汽车"), ("Agriculture", "Agriculture", "农业"), ("Non-profit", "Non-profit", "非营利"),
]:
    m(f"value.{k}", en, zh)
m("value.blocked", "blocked", "受阻")
# report
m("report.title", "crmlens customer analytics report", "crmlens 客户分析报告")
m("report.generated", "Generated {when}", "生成时间：{when}")
m("report.toc", "Contents", "目录")
m("report.summary", "Executive summary", "摘要")
m("report.first_action", "First action:", "首要行动：")
m("report.findings", "Findings", "核心发现")
m("report.charts", "Charts", "图表")
m("report.recommendations", "Recommendations", "建议")
m("report.tables", "Tables", "明细表")
m("report.data_quality", "Data quality", "数据质量")
m("report.no_dq_findings", "No data-quality problems found.", "未发现数据质量问题。")
m("report.method", "Method notes", "方法说明")
m("report.validation", "Validation notes", "数据校验提示")
m("report.filter", "Filter rows…", "筛选…")
m("report.rows_shown", "Showing {shown:int} of {total:int} rows; the full table is in tables/ and action_plan.xlsx.", "显示 {total:int} 行中的 {shown:int} 行；完整数据见 tables/ 与 action_plan.xlsx。")
m("report.metric", "Metric", "指标")
m("report.value", "Value", "数值")
m("analysis.contact_coverage.title", "Key-account contact coverage risk", "重要客户联系人配置风险")
m("analysis.contact_coverage.description", "Are the top accounts by revenue covered by enough people, enough executives and enough departments? Each key account is scored against global red lines and against its industry × size peers, then gets a concrete action plan.", "按年收入排名靠前的重要客户，是否有足够的联系人、足够的高层和足够的部门覆盖？每个重要客户都对照统一红线与同行业同规模标准打分，并生成具体行动方案。")
for k, en, zh in [
    ("accounts", "Accounts", "客户总数"), ("accounts_revenue_known", "Accounts with revenue", "有收入数据的客户"), ("accounts_revenue_null", "Accounts without revenue", "缺少收入的客户"),
    ("revenue_null_high_risk", "High risk among accounts without revenue", "缺少收入客户中的高风险数"), ("revenue_null_enterprise", "Enterprise accounts without revenue", "缺少收入的大型企业"),
    ("key_accounts", "Key accounts", "重要客户数"), ("revenue_threshold", "Revenue threshold", "收入阈值"), ("tied_excluded", "Tied accounts left out", "并列被排除的客户"),
    ("fail_density_red_line", "Below density red line", "密度低于红线"), ("fail_decision_red_line", "Below decision-maker red line", "决策层占比低于红线"), ("fail_coverage_red_line", "Below coverage baseline", "部门覆盖低于基线"),
    ("fail_density_peer", "Below peer density", "密度低于同行标准"), ("fail_decision_peer", "Below peer decision ratio", "决策层占比低于同行标准"), ("fail_coverage_peer", "Below peer coverage / must-haves", "部门覆盖低于同行标准或缺必备部门"),
    ("strong_risk", "Strong risk (both tracks)", "强风险（两套标准均未达标）"), ("secondary_risk", "Secondary risk (one track)", "次级风险（一套标准未达标）"),
    ("high_risk", "High risk", "高风险"), ("medium_risk", "Medium risk", "中风险"), ("low_risk", "Low risk", "低风险"), ("high_risk_share", "High-risk share", "高风险占比"),
    ("density_pass_rate", "Density pass rate", "密度达标率"), ("decision_pass_rate", "Decision-maker pass rate", "决策层达标率"), ("coverage_pass_rate", "Coverage pass rate", "部门覆盖达标率"),
    ("median_density", "Median density (per 1,000 employees)", "密度中位数（每千名员工）"), ("mean_density", "Mean density (per 1,000 employees)", "密度均值（每千名员工）"),
    ("median_decision_ratio", "Median decision-maker ratio", "决策层占比中位数"), ("mean_coverage", "Mean departments covered (of 5)", "平均覆盖部门数（满分 5）"),
    ("full_coverage_accounts", "Accounts covering all 5 departments", "覆盖全部 5 个部门的客户"),
    ("contacts_to_add", "Contacts to add (density)", "需新增联系人（密度）"), ("executives_to_add", "C-level/VP contacts to add", "需新增 C 级/VP 联系人"),
    ("plan_new_contacts_at_risk", "New contacts in the plan (at-risk accounts)", "行动方案新增联系人（风险客户）"), ("departments_to_add", "Departments to open", "需拓展部门数"),
    ("workload_uncomputable", "Accounts without computable workload", "无法计算工作量的客户"), ("key_employees_unknown", "Key accounts without employee count", "缺少员工数的重要客户"),
    ("key_zero_contacts", "Key accounts with zero contacts", "零联系人的重要客户"), ("contacts_live", "Live contacts", "有效联系人"), ("contacts_deleted", "Deleted contacts (excluded)", "已删除联系人（已排除）"),
    ("contacts_dept_unknown", "Contacts with unknown department", "部门未知的联系人"), ("contacts_title_unrecognised", "Contacts with unrecognised title", "职位无法识别的联系人"),
    ("contacts_orphan", "Orphan contacts", "孤儿联系人"), ("peer_groups", "Peer groups", "同行分组数"), ("peer_fallback_groups", "Peer groups using red lines", "使用红线的同行分组"),
]:
    m(f"metric.contact_coverage.{k}", en, zh)
for k, en, zh in [("top_risk", "Top high-risk key accounts (priority order)", "高风险重要客户（按优先级）"), ("by_industry", "By industry", "按行业"), ("by_size", "By company size", "按企业规模"),
                  ("industry_playbooks", "Industry playbooks", "行业打法"), ("peer_groups", "Peer thresholds (industry × size)", "同行阈值（行业 × 规模）"), ("department_gaps", "Department gaps", "部门缺口")]:
    m(f"table.contact_coverage.{k}", en, zh)
for k, en, zh in [
    ("priority_rank", "Priority", "优先级"), ("account_id", "Account id", "客户 ID"), ("account_name", "Account", "客户名称"), ("industry_normalized", "Industry", "行业"),
    ("company_size_category", "Size", "规模"), ("annual_revenue", "Annual revenue", "年收入"), ("number_of_employees", "Employees", "员工数"), ("n_contacts", "Contacts", "联系人数"),
    ("density", "Density", "密度"), ("decision_ratio", "Decision-maker ratio", "决策层占比"), ("coverage", "Departments covered", "覆盖部门数"), ("missing_departments", "Missing departments", "缺失部门"),
    ("risk_score", "Risk score", "风险评分"), ("tier", "Tier", "风险等级"), ("risk_class", "Risk class", "风险类别"), ("contacts_to_add", "Contacts to add", "需新增联系人"),
    ("executives_to_add", "Executives to add", "需新增高层"), ("departments_to_add", "Departments to add", "需拓展部门"), ("owner_role", "Owner role", "负责角色"),
    ("key_accounts", "Key accounts", "重要客户数"), ("high", "High", "高风险"), ("medium", "Medium", "中风险"), ("low", "Low", "低风险"), ("high_share", "High-risk share", "高风险占比"),
    ("density_pass_rate", "Density pass", "密度达标率"), ("decision_pass_rate", "Decision pass", "决策层达标率"), ("coverage_pass_rate", "Coverage pass", "覆盖达标率"),
    ("median_density", "Median density", "密度中位数"), ("mean_coverage", "Mean coverage", "平均覆盖"), ("high_risk", "High risk", "高风险"), ("density_target", "Density target", "密度目标"),
    ("must_have_departments", "Must-have departments", "必备部门"), ("entry_roles", "Entry roles", "切入角色"), ("most_missing_department", "Most missing department", "最常缺失部门"),
    ("accounts", "Accounts", "客户数"), ("p_density", "P25 density", "密度 P25"), ("p_coverage", "P25 coverage", "覆盖 P25"), ("density_threshold", "Density threshold", "密度阈值"),
    ("coverage_threshold", "Coverage threshold", "覆盖阈值"), ("fallback", "Uses red line", "使用红线"), ("department", "Department", "部门"), ("accounts_missing", "Accounts missing it", "缺失客户数"),
    ("share_missing", "Share missing", "缺失占比"), ("account_owner_name", "Account owner", "客户负责人"), ("owner_id", "Owner id", "负责人 ID"), ("action", "Action", "行动"),
    ("quantity", "Quantity", "数量"), ("detail", "Detail", "说明"), ("milestone_days", "Milestone (days)", "里程碑（天）"), ("due_date", "Due date", "截止日期"), ("status", "Status", "状态"),
    ("action_text", "What to do", "具体行动"), ("analysis", "Analysis", "分析"), ("rule", "Rule", "规则"), ("value", "Value", "取值"),
]:
    m(f"col.{k}", en, zh)
for k, en, zh in [("risk_distribution", "Risk score distribution", "风险评分分布"), ("density_decision", "Contact density vs decision-maker ratio (dashed: red lines)", "联系人密度与决策层占比（虚线为红线）"),
                  ("density_by_size", "Contact density by company size (box: P25–P75, tick: median)", "不同规模的联系人密度（箱体：P25–P75，刻度：中位数）"), ("coverage_heatmap", "Department coverage rate by industry", "各行业部门覆盖率"),
                  ("high_risk_by_industry", "High-risk key accounts by industry", "各行业高风险重要客户数"), ("department_gaps", "Share of key accounts missing each department", "各部门缺失的重要客户占比")]:
    m(f"chart.cc.{k}", en, zh)
for k, en, zh in [("risk_score", "Risk score", "风险评分"), ("accounts", "Accounts", "客户数"), ("tier", "Tier", "风险等级"), ("density", "Contacts per 1,000 employees (symlog)", "每千名员工联系人数（对称对数）"),
                  ("decision_ratio", "Decision-maker ratio", "决策层占比"), ("size", "Company size", "企业规模"), ("department", "Department", "部门"), ("industry", "Industry", "行业"),
                  ("coverage_rate", "Coverage rate", "覆盖率"), ("high_risk_accounts", "High-risk accounts", "高风险客户数"), ("share_missing", "Share missing", "缺失占比")]:
    m(f"chart.axis.{k}", en, zh)
m("method.cc.key_accounts", "Key accounts: accounts with known revenue ranked by annual revenue; the top {share:pct} (rounded up) are kept. Ties: {tie_break}.", "重要客户：按年收入对有收入数据的客户排序，保留前 {share:pct}（向上取整）。并列处理：{tie_break}。")
m("method.cc.density", "Density = live contacts ÷ employees × {per:int}; red line {red_line:num}. Employees NULL or ≤ 0 → density not computed (flagged, not treated as failing).", "联系人密度 = 有效联系人数 ÷ 员工数 × {per:int}；红线 {red_line:num}。员工数为空或 ≤ 0 时不计算密度（标记为数据问题，不计为未达标）。")
m("method.cc.decision", "Decision-maker ratio = C-level + VP contacts ÷ live contacts; red line {red_line:pct}; an account with no contacts has ratio 0.", "决策层占比 = C 级与 VP 级联系人数 ÷ 有效联系人数；红线 {red_line:pct}；无联系人的客户占比记为 0。")
m("method.cc.coverage", "Coverage = number of key departments ({departments:list}) with at least one live contact; baselines by size: {baselines}.", "部门覆盖 = 至少有一位有效联系人的关键部门（{departments:list}）数量；按规模的基线：{baselines}。")
m("method.cc.peer", "Peer track: per industry × size, density threshold = max(red line, P{pct:pct} of the group), coverage threshold = max(baseline, P{pct:pct}); groups under {min_group:int} accounts use the red lines. Percentiles: {method}.", "同行标准：按“行业 × 规模”分组，密度阈值 = max(红线, 组内 {pct:pct} 分位数)，覆盖阈值 = max(基线, 组内 {pct:pct} 分位数)；少于 {min_group:int} 个客户的分组使用红线。分位数计算：{method}。")
m("method.cc.must_have", "Industry must-have departments (part of the peer track): {rules}.", "行业必备部门（属于同行标准）：{rules}。")
m("method.cc.risk", "Risk score = {wd:num}·low density + {wr:num}·low decision ratio + {wc:num}·low coverage (red-line flags); high ≥ {high:num}, medium ≥ {medium:num}. Gap score uses the same weights on max(0, (threshold − actual) ÷ threshold). Failing both tracks = strong risk, one track = secondary risk.", "风险评分 = {wd:num}×密度不足 + {wr:num}×决策层不足 + {wc:num}×覆盖不足（按红线判断）；≥ {high:num} 为高风险，≥ {medium:num} 为中风险。差距评分以相同权重计算 max(0, (阈值 − 实际) ÷ 阈值)。两套标准均未达标为强风险，仅一套未达标为次级风险。")
m("method.cc.exclusions", "Excluded: deleted contacts (from every metric), contacts of unknown accounts (counted as orphans), accounts without revenue (counted, with the risk they would carry).", "排除项：已删除联系人（所有指标均排除）、所属客户不存在的联系人（按孤儿联系人计数）、缺少收入的客户（单独计数并估计其隐含风险）。")
m("method.cc.title_rules", "Title rules (case-insensitive regular expressions, word boundaries; checked in this order):", "职位识别规则（不区分大小写的正则表达式，按词边界匹配，依以下顺序判断）：")
m("method.cc.department_rules", "Department dictionary (first match wins, in this order):", "部门词典（按以下顺序，首个匹配生效）：")
m("sheet.contact_coverage", "Contact coverage", "联系人覆盖")
m("sheet.rules", "Rules", "规则")
import sys
for i, lang in enumerate(["en", "zh"]):
    with open(f"{sys.argv[1]}/{lang}.yaml", "w", encoding="utf-8") as fh:
        fh.write(f"# crmlens message catalog ({lang}). Keys must match the other catalog (tests/test_i18n.py).\n")
        yaml.safe_dump({k: v[i] for k, v in M.items()}, fh, allow_unicode=True, sort_keys=False, width=10000)
print(len(M))

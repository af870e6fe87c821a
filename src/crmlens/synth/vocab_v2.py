"""Vocabularies of the model v2 tables: deals, users, cases, NPS, campaigns, leads."""

from __future__ import annotations

DEAL_SOURCES = [  # lead sources of new business (the v1 vocabulary, weighted)
    ("Web", 24),
    ("Referral", 14),
    ("Partner", 10),
    ("Trade Show", 10),
    ("Cold Call", 16),
    ("Webinar", 12),
    ("Advertisement", 14),
]
MARKETING_SOURCES = ("Web", "Webinar", "Trade Show", "Advertisement")
ACQUISITION_CHANNELS = {  # deal lead source → account acquisition channel
    "Web": "Web",
    "Referral": "Referral",
    "Partner": "Partner",
    "Trade Show": "Event",
    "Webinar": "Event",
    "Cold Call": "Outbound",
    "Advertisement": "Paid Search",
}
COMPETITORS = [
    ("Acme CRM", 10),
    ("Salesforce", 12),
    ("HubSpot", 9),
    ("Zoho", 5),
    ("Microsoft Dynamics", 6),
    ("in-house build", 6),
    ("销售易", 3),
    ("纷享销客", 2),
    ("none", 4),  # free text meaning "no competitor"
]
LOSS_REASONS = [
    ("Price", 25),
    ("No Decision", 22),
    ("Product Gap", 14),
    ("Timing", 12),
    ("Budget", 8),
    ("Other", 5),
]

USER_ROLES = (  # owners 0..149 by index range (role, first index past the range)
    ("Account Executive", 90),
    ("Customer Success Manager", 115),
    ("SDR", 135),
    ("Inside Sales", 150),
)
MANAGERS = 12  # users 150..161 are sales managers; 162 is the VP Sales

CASE_TYPES = [("Problem", 35), ("Question", 25), ("Feature Request", 15), ("Billing", 8)]
CASE_TYPE_VARIANTS = {  # free-text variants a share of rows carry
    "Problem": ["problem", "Bug", "故障"],
    "Question": ["question", "How-to", "咨询"],
    "Feature Request": ["Feature request", "feature_request", "功能需求"],
    "Complaint": ["complaint", "Complaint ", "投诉"],
    "Billing": ["Billing Issue", "billing", "账单"],
}
CASE_REASONS = {  # type → (English topics, Chinese topics)
    "Problem": (
        ["Slow dashboard", "Login failure", "Sync error", "Data import failed", "Report timeout"],
        ["仪表盘加载慢", "无法登录", "数据同步失败", "导入报错", "报表超时"],
    ),
    "Question": (
        ["How to configure alerts", "API usage", "User permissions", "Training request"],
        ["如何配置提醒", "接口使用", "用户权限", "培训需求"],
    ),
    "Feature Request": (
        ["Missing export feature", "Mobile app", "Custom fields", "SSO integration"],
        ["缺少导出功能", "移动端应用", "自定义字段", "单点登录集成"],
    ),
    "Complaint": (
        ["Service attitude", "Slow response", "Too expensive", "Promised feature not delivered"],
        ["服务态度", "响应太慢", "价格太贵", "承诺的功能未交付"],
    ),
    "Billing": (
        ["Invoice error", "Refund request", "Payment failed"],
        ["发票错误", "退款申请", "付款失败"],
    ),
}
CASE_PRIORITIES = [("Low", 30), ("Medium", 45), ("High", 20), ("Critical", 5)]
CASE_ORIGINS = [("Email", 40), ("Phone", 20), ("Web", 25), ("Chat", 15)]
CASE_ORIGINS_ZH = [("WeChat", 50), ("Phone", 25), ("Email", 15), ("Web", 10)]
OPEN_CASE_STATUS = [("New", 40), ("Working", 45), ("Escalated", 15)]

NPS_COMMENTS = {  # band → (English, Chinese)
    "promoter": (
        ["Great product, the team loves it", "Support is fast and helpful", "Easy to use"],
        ["产品很好用", "客服响应很快", "团队都很喜欢"],
    ),
    "passive": (
        ["Good but reporting could be better", "Fine, a bit expensive", "OK overall"],
        ["整体还可以", "价格有点贵", "报表功能有待加强"],
    ),
    "detractor": (
        ["Too many bugs", "Support never answers", "Considering other vendors", "Too expensive"],
        ["问题太多", "客服不回复", "正在考虑其他供应商", "性价比低"],
    ),
}

CAMPAIGN_TYPES_TARGETED = [("Targeted Ads", 40), ("Paid Search", 25), ("Email", 20), ("Social", 15)]
CAMPAIGN_TYPES_BROAD = [
    ("Email", 20),
    ("Webinar", 20),
    ("Paid Search", 15),
    ("Social", 15),
    ("Event", 15),
    ("Referral Program", 8),
    ("Partner", 7),
]
CAMPAIGN_THEMES = ["Spring", "Summer", "Autumn", "Winter", "Launch", "Growth", "Renewal", "CFO"]
LEAD_STATUS_OPEN = [("Open", 30), ("Working", 25), ("Nurturing", 25), ("Unqualified", 20)]

"""Typed configuration: every threshold, weight, keyword dictionary and table/column mapping.

Models forbid unknown keys.  ``load_config(path)`` reads YAML and turns any validation problem into
a :class:`~crmlens.errors.ConfigError` naming the file, the key path and what is allowed.
Defaults here are the documented defaults (README "Configuration"); analyses never hard-code them.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from crmlens.errors import ConfigError
from crmlens.schema.contracts import CONTRACTS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_patterns(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:  # pragma: no cover - message path tested via load_config
            raise ValueError(f"invalid regular expression {p!r}: {exc}") from exc
    return patterns


DEFAULT_SIZE_BANDS = {"Enterprise": 1000, "Mid-Market": 100, "Small Business": 1}
DEFAULT_INDUSTRY_MAP = {
    "Banking": "Financial Services",
    "Finance": "Financial Services",
    "Biotechnology": "Pharmaceuticals",
    "Entertainment": "Media",
}
_REGION_STATES = {
    "West": "CA OR WA NV ID MT WY UT CO AK HI",
    "Southwest": "AZ NM TX OK",
    "Midwest": "ND SD NE KS MN IA MO WI IL IN MI OH",
    "Southeast": "AR LA MS AL GA FL SC NC TN KY VA WV",
    "Northeast": "ME NH VT MA RI CT NY NJ PA DE MD DC",
}
DEFAULT_STATE_REGIONS = {s: r for r, states in _REGION_STATES.items() for s in states.split()}


class SalesforceExportConfig(Strict):
    """How raw Salesforce objects (a Data Export folder/ZIP parts, or raw Fivetran tables) become
    the canonical tables (README "Salesforce Data Export")."""

    as_of: str | None = Field(
        None,
        pattern=r"^\d{4}-\d\d-\d\d$",
        description="reference date (YYYY-MM-DD) for days since last activity and account age; "
        "default: today (UTC)",
    )
    encoding: str = Field(
        "utf-8", description="encoding of the CSV files (e.g. gbk); other files are refused"
    )
    industry_map: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_INDUSTRY_MAP),
        description="Industry picklist value → normalised industry (others kept as they are)",
    )
    size_bands: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_SIZE_BANDS),
        description="company size category → lowest NumberOfEmployees, used when "
        "Company_Size_Category__c is absent or blank (no employee count: Unknown)",
    )
    state_regions: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_REGIONS),
        description="BillingState → region, used when Region__c is absent or blank",
    )
    custom_fields: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="canonical table → {canonical column → API field}, e.g. "
        "salesforce__customer_360_view: {competitor_in_use: Competitor__c}",
    )

    @model_validator(mode="after")
    def _known_columns(self) -> "SalesforceExportConfig":
        for table, columns in self.custom_fields.items():
            if table not in CONTRACTS:
                raise ValueError(f"custom_fields: unknown canonical table {table!r}")
            known = CONTRACTS[table].column_names
            for column in columns:
                if column not in known:
                    raise ValueError(f"custom_fields: unknown column {column!r} of {table}")
        return self


class SourceMapping(Strict):
    """Rename a user's tables/columns to the canonical names of the data model."""

    layout: Literal["auto", "canonical", "sf_export", "fivetran_raw", "dbt_salesforce"] = Field(
        "auto",
        description="how the source is laid out: canonical tables, a Salesforce Data Export, "
        "raw Fivetran Salesforce tables, Fivetran dbt_salesforce models; auto recognises each",
    )
    salesforce_export: SalesforceExportConfig = SalesforceExportConfig()

    tables: dict[str, str] = Field(
        default_factory=dict, description="canonical table → table name in the source"
    )
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="canonical table → {canonical column → column name in the source}",
    )
    date_formats: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="canonical `table.column` → strftime format(s) of a text date column, tried "
        "in order (without one only ISO dates are read; day/month is never guessed)",
    )

    @model_validator(mode="after")
    def _known_names(self) -> "SourceMapping":
        for t in list(self.tables) + list(self.columns):
            if t not in CONTRACTS:
                raise ValueError(f"unknown canonical table {t!r}; allowed: {', '.join(CONTRACTS)}")
        for t, cols in self.columns.items():
            known = CONTRACTS[t].column_names
            for c in cols:
                if c not in known:
                    raise ValueError(f"unknown column {c!r} of {t}; allowed: {', '.join(known)}")
        for key, formats in self.date_formats.items():
            _check_date_format(key, [formats] if isinstance(formats, str) else formats)
        return self

    def formats_for(self, table: str, column: str) -> list[str]:
        """The configured formats of a text date column (``date_formats``), [] when none."""
        formats = self.date_formats.get(f"{table}.{column}", [])
        return [formats] if isinstance(formats, str) else list(formats)


def _check_date_format(key: str, formats: list[str]) -> None:
    table, _, column = key.rpartition(".")
    spec = CONTRACTS.get(table)
    dates = [c.name for c in spec.date_columns] if spec else []
    if column not in dates:
        allowed = [f"{t.name}.{c.name}" for t in CONTRACTS.values() for c in t.date_columns]
        raise ValueError(
            f"date_formats: {key!r} is not a date column; allowed: {', '.join(allowed)}"
        )
    if not formats or any("%" not in f for f in formats):
        raise ValueError(f"date_formats: {key!r} needs strftime formats such as '%d/%m/%Y'")


class EngineConfig(Strict):
    """Where the engine-side work runs.  ``duckdb`` (embedded, default) or ``spark`` (extra)."""

    name: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = Field(
        "local[2]", description="Spark master URL, e.g. local[2] or spark://host:7077"
    )
    spark_conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings")
    duckdb_memory_limit: str = Field(
        "3GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB buffer-pool limit for analyses (spills to disk beyond it)",
    )


class TitleRules(Strict):
    """Seniority rules for contact titles (case-insensitive regular expressions).

    Order: blank → ``unknown``; any ``exclude`` match → ``other`` (assistants to executives etc.);
    any ``vp`` match → ``vp``, unless the title still matches ``c_level`` once every ``vp_phrases``
    match is removed ("Co-Founder & CEO, VP Sales" → ``c_level``; "Sr. Vice President" stays
    ``vp`` because "Vice President" is removed before "President" is looked for); any ``c_level``
    match → ``c_level``; any ``known_other`` match → ``other``; else ``unrecognised`` (counted as
    not a decision maker and reported).
    """

    exclude: list[str] = [
        r"\bassistant\b",
        r"\bassistants?\s+to\b",
        r"\bsecretary\b",
        r"\bchief\s+of\s+staff\b",
        r"\boffice\s+of\s+the\b",
        r"\bintern\b",
        "助理",
        "秘书",
    ]
    c_level: list[str] = [
        r"\bc[eftoi]o\b",
        r"\bc(mo|ro|so|do|po|hro|iso|ao|lo|xo)\b",
        r"\bchief\b[\w\s&,-]*\bofficer\b",
        r"(?<!vice\s)(?<!vice-)\bpresident\b",
        r"\bchair(man|woman|person)?\b",
        r"\b(co-?)?founder\b",
        r"\bowner\b",
        "首席.{0,6}官",
        "总裁",
        "董事长",
        "总经理",
        "创始人",
    ]
    vp: list[str] = [
        r"\b[saeg]?vp\b",
        r"\bv\.\s?p\.",
        r"\bvice[\s-]+president\b",
        r"\bsr\.?\s+vice\b",
        "副总裁",
        "副总经理",
    ]
    vp_phrases: list[str] = [
        r"vice[\s-]+president",
        r"\b[saeg]?vp\b",
        r"v\.\s?p\.",
        "副总裁",
        "副总经理",
    ]
    known_other: list[str] = [
        r"\bdirector\b",
        r"\bmanager\b",
        r"\bhead\b",
        r"\blead\b",
        r"\bengineer\b",
        r"\banalyst\b",
        r"\bspecialist\b",
        r"\bcoordinator\b",
        r"\brepresentative\b",
        r"\bexecutive\b",
        r"\bconsultant\b",
        r"\badministrator\b",
        r"\bassociate\b",
        r"\bofficer\b",
        r"\bsupervisor\b",
        r"\baccountant\b",
        r"\bcontroller\b",
        r"\bdeveloper\b",
        r"\bbuyer\b",
        r"\bplanner\b",
        r"\bpartner\b",
        r"\binspector\b",
        r"\bclerk\b",
        r"\brecruiter\b",
        r"\barchitect\b",
        r"\bscientist\b",
        r"\bchief\b",
        "经理",
        "主管",
        "总监",
        "专员",
        "工程师",
        "顾问",
        "经理人",
        "主任",
        "会计",
    ]

    _v = field_validator("exclude", "c_level", "vp", "vp_phrases", "known_other")(_check_patterns)


class DepartmentDictionary(Strict):
    """Department keyword dictionary; first matching department wins, in the order given."""

    key: dict[str, list[str]] = {
        "Sales": [
            r"\bsales\b",
            r"\bbusiness\s+development\b",
            r"\bbiz\s*dev\b",
            r"\bbd\b",
            "销售",
            "商务拓展",
        ],
        "Finance": [
            r"\bfinanc(e|ial)\b",
            r"\baccounting\b",
            r"\bacct\b",
            r"\bfp&a\b",
            r"\btreasury\b",
            "财务",
            "会计",
        ],
        "Operations": [
            r"\boperations?\b",
            r"\bops\b",
            r"\bsupply\s+chain\b",
            r"\blogistics\b",
            r"\bprocurement\b",
            "运营",
            "供应链",
            "物流",
        ],
        "IT": [
            r"\bit\b",
            r"\binformation\s+technology\b",
            r"\btechnology\b",
            r"\bengineering\b",
            r"\bi\.t\.",
            "信息技术",
            "技术部",
            "IT部",
        ],
        "HR": [
            r"\bhr\b",
            r"\bhuman\s+resources?\b",
            r"\bpeople\b",
            r"\btalent\b",
            "人力资源",
            "人事",
        ],
    }
    other: dict[str, list[str]] = {
        "Marketing": [r"\bmarketing\b", "市场"],
        "Legal": [r"\blegal\b", r"\bcompliance\b", "法务"],
        "R&D": [r"\br\s*&\s*d\b", r"\bresearch\b", "研发"],
        "Customer Success": [r"\bcustomer\s+(success|service|support)\b", "客户成功", "客服"],
        "Executive": [r"\bexecutive\b", r"\bmanagement\b", "总裁办", "管理层"],
    }

    @field_validator("key", "other")
    @classmethod
    def _v(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for pats in v.values():
            _check_patterns(pats)
        return v


class SynthConfig(Strict):
    chinese_share: float = Field(
        0.10, ge=0, le=1, description="share of contacts with Chinese titles/departments"
    )
    contacts_per_account: float = Field(2.5, gt=0)
    customers_per_account: float = Field(0.5, ge=0)
    opportunities_per_account: float = Field(1.2, ge=0)


class Webhook(Strict):
    url: str
    format: Literal["generic", "slack", "wecom", "dingtalk", "feishu"] = "generic"
    timeout: float = Field(5.0, gt=0)
    retries: int = Field(3, ge=0)
    backoff: float = Field(
        0.5, ge=0, description="seconds before the first retry; doubles each retry"
    )
    deadline: float = Field(30.0, gt=0, description="seconds a delivery may take, retries included")


class MonitorConfig(Strict):
    history: str = Field(
        "crmlens-history.duckdb", description="history store (a DuckDB file owned by crmlens)"
    )
    alert_log: str = Field(
        "crmlens-alerts.jsonl", description="JSON-lines log of every alert and its delivery"
    )
    webhooks: list[Webhook] = []
    lock_timeout: float = Field(
        120.0, gt=0, description="seconds to wait for another run holding the history store"
    )


class OverridesConfig(Strict):
    """Human overrides of analysis results (``crmlens override``): an append-only DuckDB store."""

    store: str = Field(
        "",
        description="override store (a DuckDB file owned by crmlens); blank: "
        "crmlens-overrides.duckdb next to monitor.history",
    )
    expiry_warning_days: int = Field(
        14, ge=0, description="overrides expiring within this many days are flagged"
    )

    def path(self, monitor: MonitorConfig) -> Path:
        if self.store:
            return Path(self.store)
        return Path(monitor.history).parent / "crmlens-overrides.duckdb"


class ReportConfig(Strict):
    lang: Literal["en", "zh"] = "en"
    include_pii: bool = False
    top_n: int = Field(20, ge=1)
    excel_max_rows: int = Field(
        100_000,
        ge=1,
        le=1_048_575,
        description="rows per action-plan sheet (priority order); the full plan is in tables/",
    )


class CrmlensConfig(Strict):
    """The whole configuration: the core sections below plus one section per registered analysis
    (a section named after the analysis), whose models the analysis units own.
    ``config.section(name)`` (or ``config.<name>``) returns an analysis' section."""

    source: SourceMapping = SourceMapping()
    engine: EngineConfig = EngineConfig()
    titles: TitleRules = TitleRules()
    departments: DepartmentDictionary = DepartmentDictionary()
    synth: SynthConfig = SynthConfig()
    monitor: MonitorConfig = MonitorConfig()
    report: ReportConfig = ReportConfig()
    overrides: OverridesConfig = OverridesConfig()
    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _analysis_sections(cls, data: Any, handler: Any) -> "CrmlensConfig":
        models = analysis_section_models()
        raw = {}
        if isinstance(data, dict):
            raw = {k: v for k, v in data.items() if k in models}
            data = {k: v for k, v in data.items() if k not in models}
        obj = handler(data)
        if isinstance(data, CrmlensConfig):
            return obj
        sections: dict[str, BaseModel] = {}
        for name, model in models.items():
            value = raw.get(name)
            try:
                sections[name] = (
                    value
                    if isinstance(value, model)
                    else model.model_validate({} if value is None else value)
                )
            except ValidationError as exc:
                raise _relocated(exc, name) from None
        obj.__pydantic_private__["_sections"] = sections
        return obj

    def section(self, name: str) -> Any:
        sections = self.__pydantic_private__.get("_sections") or {}
        if name not in sections:
            model = analysis_section_models().get(name)
            if model is None:
                raise KeyError(f"no configuration section {name!r}")
            return model()
        return sections[name]

    def __getattr__(self, name: str) -> Any:
        private = self.__dict__.get("__pydantic_private__") or object.__getattribute__(
            self, "__pydantic_private__"
        )
        sections = (private or {}).get("_sections") or {}
        if name in sections:
            return sections[name]
        return super().__getattr__(name)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        out = super().model_dump(**kwargs)
        core = list(out)
        for name in sorted(analysis_section_models()):
            out[name] = self.section(name).model_dump(**kwargs)
        # analysis sections after the shared dictionaries, as in the documented layout
        order = core[:4] + sorted(analysis_section_models()) + core[4:]
        return {k: out[k] for k in order}

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return full_config_model().model_json_schema(*args, **kwargs)

    def fingerprint(self) -> str:
        """Stable hash of the effective config (recorded in every result's provenance)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def analysis_section_models() -> dict[str, type[BaseModel]]:
    """Config model of every registered analysis, by section name (discovers the units)."""
    from crmlens.analyses import REGISTRY

    return {
        name: spec.config_model for name, spec in REGISTRY.items() if spec.config_model is not None
    }


def full_config_model() -> type[BaseModel]:
    """A plain pydantic model of the whole file (core + every analysis section): for the JSON
    Schema and for key listings."""
    core = {name: (f.annotation, f) for name, f in CrmlensConfig.model_fields.items()}
    units = {name: (model, model()) for name, model in analysis_section_models().items()}
    return create_model("CrmlensConfig", __base__=Strict, **core, **units)


def _relocated(exc: ValidationError, prefix: str) -> ValidationError:
    errors = []
    for e in exc.errors():
        item = {"type": e["type"], "loc": (prefix, *e["loc"]), "input": e.get("input")}
        if "ctx" in e:
            item["ctx"] = e["ctx"]
        errors.append(item)
    return ValidationError.from_exception_data("CrmlensConfig", errors)


def load_config(path: str | Path | None) -> CrmlensConfig:
    if path is None:
        return CrmlensConfig()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("error.config_missing", file=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("error.config_unreadable", file=str(p), reason=str(exc)) from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            "error.config_yaml", file=str(p), reason=str(exc).replace("\n", " ")
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("error.config_not_mapping", file=str(p))
    try:
        return CrmlensConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        allowed = _allowed_at(err["loc"])
        raise ConfigError(
            "error.config_invalid",
            file=str(p),
            key=loc,
            reason=err["msg"],
            allowed=allowed,
            count=exc.error_count(),
        ) from None


def _allowed_at(loc: tuple) -> str:
    """Names of keys allowed next to the failing key (for 'extra' errors) — best effort."""
    model: type[BaseModel] | None = full_config_model()
    for part in loc[:-1]:
        if model is None:
            break
        field = model.model_fields.get(str(part))
        ann = getattr(field, "annotation", None) if field else None
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    if model is None:
        return "-"
    return ", ".join(model.model_fields)


def default_config() -> CrmlensConfig:
    """The documented defaults (what ``crmlens demo`` and a run without ``--config`` use)."""
    return CrmlensConfig()

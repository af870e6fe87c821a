import pytest

from crmlens.classify.departments import DepartmentClassifier
from crmlens.classify.titles import C_LEVEL, OTHER, UNKNOWN, UNRECOGNISED, VP, TitleClassifier
from crmlens.config import DepartmentDictionary, TitleRules

TC = TitleClassifier(TitleRules())
DC = DepartmentClassifier(DepartmentDictionary())


@pytest.mark.parametrize(
    "title,level",
    [
        ("CEO", C_LEVEL),
        ("Chief Financial Officer", C_LEVEL),
        ("President", C_LEVEL),
        ("Co-Founder & CEO", C_LEVEL),
        ("President & CEO", C_LEVEL),
        ("cto", C_LEVEL),
        ("Chief Technology Officer", C_LEVEL),
        ("Founder", C_LEVEL),
        ("Vice President, Sales", VP),
        ("VP Marketing", VP),
        ("SVP", VP),
        ("EVP Operations", VP),
        ("AVP", VP),
        ("Sr. Vice President", VP),
        ("Senior Vice-President of Operations", VP),
        ("V.P. Finance", VP),
        ("首席执行官", C_LEVEL),
        ("首席财务官", C_LEVEL),
        ("总裁", C_LEVEL),
        ("董事长", C_LEVEL),
        ("总经理", C_LEVEL),
        ("副总裁", VP),
        ("副总经理", VP),
        ("销售副总裁", VP),
        # traps
        ("Director", OTHER),
        ("Director of IT", OTHER),
        ("Inspector", OTHER),
        ("Executive Assistant to the CEO", OTHER),
        ("Vice President's Assistant", OTHER),
        ("Chief Engineer", OTHER),
        ("Account Executive", OTHER),
        ("Chief of Staff", OTHER),
        ("总经理助理", OTHER),
        ("Sales Manager", OTHER),
        (None, UNKNOWN),
        ("", UNKNOWN),
        ("   ", UNKNOWN),
        ("Office Ninja", UNRECOGNISED),
    ],
)
def test_title_levels(title, level):
    assert TC.level(title) == level


def test_vice_president_counts_once():
    # one VP, not a VP plus a "President"
    assert TC.level("Vice President") == VP
    assert TC.level("Executive Vice President and President of EMEA") == C_LEVEL


@pytest.mark.parametrize(
    "dept,cls",
    [
        ("Sales", "Sales"),
        ("Business Development", "Sales"),
        ("Inside Sales", "Sales"),
        (" SALES ", "Sales"),
        ("Finance", "Finance"),
        ("Financial", "Finance"),
        ("Accounting", "Finance"),
        ("Acct", "Finance"),
        ("FP&A", "Finance"),
        ("Operations", "Operations"),
        ("Ops", "Operations"),
        ("Supply Chain", "Operations"),
        ("Logistics", "Operations"),
        ("IT", "IT"),
        ("Information Technology", "IT"),
        ("Technology", "IT"),
        ("Engineering", "IT"),
        ("HR", "HR"),
        ("Human Resources", "HR"),
        ("People", "HR"),
        ("Talent", "HR"),
        ("销售部", "Sales"),
        ("财务部", "Finance"),
        ("运营部", "Operations"),
        ("信息技术部", "IT"),
        ("人力资源部", "HR"),
        ("Marketing", "other:Marketing"),
        ("Legal", "other:Legal"),
        ("R&D", "other:R&D"),
        ("Customer Success", "other:Customer Success"),
        (None, "unknown"),
        ("", "unknown"),
        ("Facilities", "unrecognised"),
    ],
)
def test_departments(dept, cls):
    assert DC.classify(dept) == cls


def test_rules_are_config():
    rules = TitleRules(c_level=[r"\bboss\b"], vp=[], exclude=[], known_other=[])
    tc = TitleClassifier(rules)
    assert tc.level("The Boss") == C_LEVEL
    assert tc.level("CEO") == UNRECOGNISED


def test_vp_phrases_are_configurable():
    """A VP pattern that contains a C-level word needs its phrase in ``titles.vp_phrases``:
    otherwise the C-level word left after stripping wins."""
    from crmlens.config import TitleRules

    base = TitleRules()
    with_deputy = TitleRules(vp=[*base.vp, r"\bdeputy\s+ceo\b"])
    assert (
        TitleClassifier(with_deputy).level("Deputy CEO") == C_LEVEL
    )  # "CEO" survives the default phrases
    fixed = TitleRules(vp=with_deputy.vp, vp_phrases=[*base.vp_phrases, r"\bdeputy\s+ceo\b"])
    assert TitleClassifier(fixed).level("Deputy CEO") == VP
    assert TitleClassifier(fixed).level("Co-Founder & CEO, VP Sales") == C_LEVEL
    assert TitleClassifier(TitleRules(vp_phrases=[])).level("Co-Founder & CEO, VP Sales") == C_LEVEL

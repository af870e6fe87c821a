"""Vocabularies for the synthetic generator: messy titles and departments as real CRMs hold them."""

from __future__ import annotations

INDUSTRIES = [
    ("Technology", 12),
    ("Financial Services", 9),
    ("Healthcare", 8),
    ("Pharmaceuticals", 3),
    ("Retail", 8),
    ("Manufacturing", 9),
    ("Hospitality", 4),
    ("Education", 5),
    ("Government", 3),
    ("Insurance", 4),
    ("Real Estate", 4),
    ("Media", 4),
    ("Consulting", 5),
    ("Energy", 4),
    ("Telecommunications", 4),
    ("Transportation", 4),
    ("Automotive", 3),
    ("Agriculture", 2),
    ("Non-profit", 2),
]
SIZES = [("Enterprise", 0.22), ("Mid-Market", 0.35), ("Small Business", 0.36), ("Unknown", 0.07)]
SIZE_SEGMENT = {
    "Enterprise": ["Enterprise", "Large"],
    "Mid-Market": ["Mid-Market"],
    "Small Business": ["Small Business"],
    "Unknown": ["Unknown"],
}
ACCOUNT_TYPES = [("Customer", 55), ("Prospect", 30), ("Partner", 8), ("Other", 7)]
REGIONS = ["West", "Northeast", "Southeast", "Midwest", "Southwest", "APAC", "EMEA"]
STATES = [
    "CA",
    "NY",
    "TX",
    "FL",
    "WA",
    "IL",
    "MA",
    "GA",
    "NC",
    "CO",
    "OR",
    "AZ",
    "NJ",
    "PA",
    "OH",
    "MI",
    "VA",
    "MN",
]
CHURN = [("Minimal", 20), ("Low", 35), ("Medium", 25), ("High", 12), ("Unknown", 8)]

# (title, weight).  Decision makers are rare, like in real CRMs; traps are included on purpose.
TITLES_C = [
    ("CEO", 3),
    ("Chief Executive Officer", 2),
    ("Chief Financial Officer", 2),
    ("CFO", 2),
    ("COO", 1),
    ("CTO", 2),
    ("CIO", 1),
    ("Chief Marketing Officer", 1),
    ("President", 2),
    ("Co-Founder & CEO", 1),
    ("Chief Information Officer", 1),
    ("Founder", 1),
    ("Chief Revenue Officer", 1),
    ("President & CEO", 1),
]
TITLES_VP = [
    ("Vice President, Sales", 3),
    ("VP Marketing", 3),
    ("VP of Operations", 2),
    ("SVP", 1),
    ("EVP Operations", 1),
    ("AVP", 1),
    ("Sr. Vice President", 1),
    ("Vice-President Finance", 1),
    ("VP, Information Technology", 2),
    ("VP Human Resources", 1),
    ("Senior Vice President of Engineering", 1),
]
TITLES_TRAP = [
    ("Director", 6),
    ("Inspector", 1),
    ("Executive Assistant to the CEO", 1),
    ("Vice President's Assistant", 1),
    ("Chief Engineer", 1),
    ("Account Executive", 3),
    ("Chief of Staff", 1),
    ("Director of IT", 2),
]
TITLES_OTHER = [
    ("Manager", 10),
    ("Sales Manager", 8),
    ("Software Engineer", 7),
    ("Analyst", 6),
    ("Senior Analyst", 4),
    ("Operations Manager", 5),
    ("IT Manager", 5),
    ("HR Manager", 3),
    ("Accountant", 3),
    ("Controller", 2),
    ("Procurement Specialist", 3),
    ("Marketing Coordinator", 3),
    ("Sales Representative", 6),
    ("Buyer", 2),
    ("Project Manager", 5),
    ("Team Lead", 3),
    ("Consultant", 3),
    ("Administrator", 2),
    ("Data Scientist", 2),
    ("Head of Finance", 1),
    ("Office Ninja", 1),
    ("Evangelist", 1),
    ("Purchasing Agent", 1),
]
TITLES_ZH_C = [
    ("首席执行官", 2),
    ("首席财务官", 1),
    ("总裁", 1),
    ("董事长", 1),
    ("总经理", 2),
    ("首席技术官", 1),
]
TITLES_ZH_VP = [("副总裁", 2), ("销售副总裁", 1), ("副总经理", 1)]
TITLES_ZH_OTHER = [
    ("销售经理", 5),
    ("财务主管", 2),
    ("运营专员", 3),
    ("IT工程师", 3),
    ("人事专员", 2),
    ("总经理助理", 1),
    ("采购经理", 2),
    ("项目经理", 3),
]

DEPARTMENTS = [
    ("Sales", 14),
    ("Business Development", 3),
    ("Inside Sales", 2),
    ("Finance", 6),
    ("Financial", 1),
    ("Accounting", 2),
    ("Acct", 1),
    ("FP&A", 1),
    ("Operations", 7),
    ("Ops", 2),
    ("Supply Chain", 2),
    ("Logistics", 1),
    ("IT", 6),
    ("Information Technology", 2),
    ("Technology", 1),
    ("Engineering", 4),
    ("HR", 3),
    ("Human Resources", 2),
    ("People", 1),
    ("Talent", 1),
    ("Marketing", 6),
    ("Legal", 2),
    ("R&D", 2),
    ("Customer Success", 3),
    ("Facilities", 1),
    (" sales ", 1),
    ("SALES", 1),
]
DEPARTMENTS_ZH = [
    ("销售部", 5),
    ("财务部", 2),
    ("运营部", 3),
    ("信息技术部", 2),
    ("人力资源部", 1),
    ("市场部", 2),
    ("研发部", 1),
]
LEAD_SOURCES = ["Web", "Referral", "Partner", "Trade Show", "Cold Call", "Webinar", "Advertisement"]

STAGES_OPEN = ["Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation"]
OPP_TYPES = [("New Business", 45), ("Existing Business", 20), ("Renewal", 20), ("Upsell", 15)]

C360_INDUSTRIES = [
    "Technology",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Education",
    "Media",
    "Consulting",
]
C360_SIZES = [("Startup", 15), ("Small", 30), ("Medium", 27), ("Large", 18), ("Enterprise", 10)]
LIFECYCLE = [
    ("Activation", 18),
    ("Growth", 27),
    ("Maturity", 28),
    ("Retention", 17),
    ("Dormant", 10),
]
DECISION_LEVELS = [
    ("C-Level", 10),
    ("VP", 15),
    ("Director", 25),
    ("Manager", 30),
    ("Individual Contributor", 20),
]
CUSTOMER_TIERS = [("Basic", 30), ("Bronze", 25), ("Silver", 22), ("Gold", 15), ("Platinum", 8)]
COUNTRIES = [
    "United States",
    "China",
    "Germany",
    "United Kingdom",
    "Japan",
    "Canada",
    "France",
    "Singapore",
]

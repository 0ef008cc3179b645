"""Word lists the generator draws names, companies and personas from.

Company names are built from three lists (80 x 60 x 60 = 288,000 combinations), enough for
the 250,000 accounts of a 2,000,000-lead run; tests/test_generate.py proves that every
combination gives a different e-mail domain, which is what keeps natural e-mails unique.
Domains use the reserved `.example` top-level domain (RFC 2606) so no generated address can
belong to a real company.
"""

FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Abigail", "Adam", "Aisha", "Alan", "Alice", "Amara", "Amir", "Ana", "Andrew",
    "Anika", "Anna", "Arjun", "Ben", "Bianca", "Brian", "Camila", "Carlos", "Chen", "Chloe",
    "Chris", "Claire", "Daniel", "David", "Diana", "Diego", "Elena", "Eli", "Emily", "Emma",
    "Eric", "Ethan", "Fatima", "Felix", "Fiona", "Gabriel", "Grace", "Hannah", "Hugo", "Ian",
    "Ines", "Isaac", "Ivy", "Jack", "James", "Jana", "Javier", "Jin", "John", "Julia",
    "Kai", "Karen", "Kenji", "Laura", "Leo", "Lina", "Lucas", "Lucy", "Maria", "Mark",
    "Maya", "Mei", "Michael", "Mila", "Nadia", "Nathan", "Nina", "Noah", "Olivia", "Omar",
    "Oscar", "Paul", "Priya", "Rachel", "Rafael", "Ravi", "Rosa", "Ryan", "Sara", "Sofia",
    "Sam", "Tara", "Thomas", "Tim", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
)

LAST_NAMES: tuple[str, ...] = (
    "Adams", "Ahmed", "Alvarez", "Anderson", "Baker", "Bauer", "Becker", "Bennett", "Brown",
    "Campbell", "Carter", "Chen", "Clark", "Collins", "Cooper", "Costa", "Cruz", "Davies",
    "Diaz", "Dubois", "Edwards", "Evans", "Fischer", "Fernandez", "Garcia", "Gomez", "Gray",
    "Green", "Hall", "Harris", "Hoffmann", "Hughes", "Ito", "Jackson", "Jansen", "Johnson",
    "Jones", "Kaur", "Kelly", "Khan", "Kim", "King", "Klein", "Kowalski", "Kumar", "Lambert",
    "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Meyer", "Miller", "Mitchell", "Moore",
    "Morales", "Morgan", "Muller", "Murphy", "Nakamura", "Nguyen", "Novak", "Olsen", "Ortiz",
    "Patel", "Perez", "Peters", "Petrov", "Phillips", "Ramos", "Reed", "Reyes", "Richter",
    "Rivera", "Roberts", "Robinson", "Rodriguez", "Rossi", "Russo", "Sanchez", "Santos",
    "Schmidt", "Schneider", "Scott", "Shah", "Silva", "Singh", "Smith", "Stewart", "Suzuki",
    "Tanaka", "Taylor", "Thomas", "Thompson", "Torres", "Turner", "Vargas", "Walker", "Wang",
    "Ward", "Weber", "White", "Williams", "Wilson", "Wong", "Wood", "Wright", "Young", "Zhang",
)

COMPANY_PREFIXES: tuple[str, ...] = (
    "Acorn", "Alder", "Amber", "Anchor", "Apex", "Arbor", "Arctic", "Aspen", "Atlas", "Aurora",
    "Basalt", "Beacon", "Birch", "Blue", "Bolt", "Bright", "Brook", "Cedar", "Cinder", "Cobalt",
    "Comet", "Copper", "Coral", "Crest", "Crimson", "Delta", "Ember", "Falcon", "Fern", "Flint",
    "Forge", "Garnet", "Glacier", "Golden", "Granite", "Harbor", "Hazel", "Indigo", "Iron",
    "Jade", "Juniper", "Kestrel", "Lantern", "Linden", "Lunar", "Maple", "Meadow", "Mosaic",
    "North", "Oak", "Onyx", "Opal", "Orchid", "Pine", "Polar", "Quartz", "Raven", "Redwood",
    "River", "Rowan", "Sable", "Sage", "Silver", "Slate", "Solar", "Spruce", "Stone", "Summit",
    "Swift", "Teal", "Thistle", "Timber", "Topaz", "True", "Umber", "Vale", "Violet", "West",
    "Willow", "Zephyr",
)

COMPANY_ROOTS: tuple[str, ...] = (
    "bay", "bridge", "cloud", "core", "crown", "dale", "field", "flow", "ford", "gate",
    "glen", "grid", "grove", "haven", "hill", "hub", "key", "lake", "land", "leaf",
    "light", "line", "link", "loop", "mark", "mesa", "mill", "mint", "moor", "nest",
    "path", "peak", "pier", "point", "port", "quest", "reach", "ridge", "rock", "root",
    "scape", "shore", "sky", "spark", "spring", "star", "stream", "tide", "tower", "trail",
    "vault", "view", "wave", "well", "wind", "wing", "works", "yard", "zone", "wick",
)

COMPANY_KINDS: tuple[str, ...] = (
    "Analytics", "Apparel", "Bank", "Biotech", "Brands", "Capital", "Cargo", "Clinics",
    "Cloud", "Commerce", "Consulting", "Data", "Design", "Devices", "Digital", "Dynamics",
    "Education", "Energy", "Engineering", "Foods", "Freight", "Games", "Health", "Holdings",
    "Hotels", "Industries", "Insurance", "Labs", "Learning", "Legal", "Logistics", "Media",
    "Medical", "Metals", "Mobility", "Motors", "Networks", "Outfitters", "Partners",
    "Payments", "Pharma", "Power", "Retail", "Robotics", "Security", "Semiconductors",
    "Services", "Software", "Solutions", "Studios", "Supply", "Systems", "Technologies",
    "Telecom", "Therapeutics", "Trading", "Travel", "Ventures", "Water", "Wireless",
)

INDUSTRIES: tuple[str, ...] = (
    "Technology", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education",
    "Media", "Telecommunications", "Professional Services", "Transportation", "Energy",
    "Hospitality",
)
# Relative frequency of each industry among accounts (software-heavy, as for a B2B SaaS seller).
INDUSTRY_WEIGHTS: tuple[float, ...] = (28, 12, 9, 10, 8, 5, 5, 4, 9, 4, 3, 3)

# country, weight, ISO currency of its deals, states (billing_state is filled only for these)
COUNTRIES: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("United States", 55, "USD", ("CA", "NY", "TX", "MA", "WA", "IL", "FL", "GA", "CO", "NC")),
    ("United Kingdom", 10, "GBP", ()),
    ("Germany", 7, "EUR", ()),
    ("Canada", 6, "USD", ("ON", "BC", "QC", "AB")),
    ("France", 5, "EUR", ()),
    ("Australia", 4, "USD", ("NSW", "VIC", "QLD")),
    ("Netherlands", 4, "EUR", ()),
    ("Spain", 3, "EUR", ()),
    ("Ireland", 2, "EUR", ()),
    ("India", 2, "USD", ()),
    ("Singapore", 2, "USD", ()),
)

LANGUAGE_BY_COUNTRY: dict[str, str] = {
    "Germany": "de", "France": "fr", "Netherlands": "nl", "Spain": "es",
}

PHONE_PREFIX_BY_COUNTRY: dict[str, str] = {
    "United States": "+1 555 01", "Canada": "+1 555 01", "United Kingdom": "+44 20 7946 0",
    "Germany": "+49 30 9991 ", "France": "+33 1 99 00 ", "Australia": "+61 2 5550 ",
    "Netherlands": "+31 20 999 ", "Spain": "+34 91 999 ", "Ireland": "+353 1 999 ",
    "India": "+91 22 9999 ", "Singapore": "+65 6999 ",
}

# Job titles inside the ideal customer profile (buyers of a RevOps tool) and outside it.
ICP_TITLES: tuple[str, ...] = (
    "VP Marketing", "Director of Demand Generation", "Marketing Operations Manager",
    "Head of Revenue Operations", "VP Sales", "Sales Operations Manager",
    "Chief Revenue Officer", "Chief Marketing Officer", "Growth Marketing Manager",
    "Director of Sales Development", "Revenue Operations Analyst", "Head of Growth",
)
NON_ICP_TITLES: tuple[str, ...] = (
    "Software Engineer", "Consultant", "Data Analyst", "Office Manager", "Account Manager",
    "Product Manager", "HR Business Partner", "Intern",
)
STUDENT_TITLE = "Student"

PERSONAL_DOMAINS: tuple[str, ...] = ("mail.example", "inbox.example", "post.example")

CONTACT_ROLES_PRIMARY: tuple[str, ...] = ("Decision Maker", "Economic Buyer")
CONTACT_ROLES_OTHER: tuple[str, ...] = (
    "Technical Buyer", "Evaluator", "Influencer", "Business User", "Executive Sponsor",
)

# Values a rep types when the picklist is bypassed (an import, an API write, a free-text
# field): none of them is a reason_code of def_rejection_reasons.csv.
OFF_TAXONOMY_REASONS: tuple[str, ...] = (
    "Other", "not interested", "BAD FIT", "Bad fit", "no budget", "wrong person",
)

PRODUCTS: tuple[str, ...] = ("Platform", "Growth Suite", "Analytics Add-on", "Enterprise Plan")

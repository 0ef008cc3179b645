"""Record identifiers shaped like the systems' own.

Salesforce ids are 18 characters: a 3-character key prefix naming the object (00Q = Lead),
12 characters for the record and a 3-character suffix that makes the id case-insensitive.
The suffix follows Salesforce's published rule: for each 5-character block of the 15-character
id, a bitmask of which positions hold an upper-case letter, written as one of A-Z0-5.
MAP ids are plain integers, as Marketo and HubSpot export them.
"""

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# Pod and reserved characters between the key prefix and the record number; fixed so ids
# look like one org's.
_INSTANCE = "8c0"

KEY_PREFIX: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityContactRole": "00K",
    "Lead": "00Q",
    "Task": "00T",
    "CampaignMember": "00v",
    "LeadHistory": "017",
    "Campaign": "701",
}


def _upper_bits(text: str) -> int:
    """Bitmask of the positions of `text` that hold an upper-case letter (first = bit 0)."""
    return sum(1 << position for position, character in enumerate(text)
               if "A" <= character <= "Z")


def case_suffix(id15: str) -> str:
    """The 3-character case-safety suffix of a 15-character id (the reference rule)."""
    return "".join(_SUFFIX[_upper_bits(id15[block:block + 5])] for block in (0, 5, 10))


# Ids are made hundreds of thousands of times per run: the 9-digit record number is built from
# three 3-digit base-36 groups looked up in a table with their upper-case bitmasks.
_GROUPS: list[tuple[str, int]] = [
    (text, _upper_bits(text))
    for text in (a + b + c for a in _BASE36 for b in _BASE36 for c in _BASE36)
]
_GROUP = 36 ** 3
_PREFIX_SUFFIX = {prefix: _SUFFIX[_upper_bits(prefix)] for prefix in KEY_PREFIX.values()}


def salesforce_id(key_prefix: str, number: int) -> str:
    """Return the 18-character id of record `number` (0-based) of an object."""
    if not 0 <= number < _GROUP ** 3:
        raise OverflowError(f"record number {number} does not fit a {key_prefix} id")
    rest, low = divmod(number, _GROUP)
    high, middle = divmod(rest, _GROUP)
    high_text, high_bits = _GROUPS[high]
    middle_text, middle_bits = _GROUPS[middle]
    low_text, low_bits = _GROUPS[low]
    # Blocks of five: prefix + "8c" | "0" + high + middle[0] | middle[1:] + low.
    first = _PREFIX_SUFFIX.get(key_prefix) or _SUFFIX[_upper_bits(key_prefix)]
    second = _SUFFIX[(high_bits << 1) | ((middle_bits & 1) << 4)]
    third = _SUFFIX[(middle_bits >> 1) | (low_bits << 2)]
    return f"{key_prefix}{_INSTANCE}{high_text}{middle_text}{low_text}{first}{second}{third}"


class IdSequence:
    """Hands out consecutive Salesforce ids for one object across all chunks of a run."""

    def __init__(self, object_name: str):
        self.prefix = KEY_PREFIX[object_name]
        self.count = 0

    def next(self) -> str:
        value = salesforce_id(self.prefix, self.count)
        self.count += 1
        return value

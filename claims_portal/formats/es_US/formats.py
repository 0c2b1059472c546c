# Spanish as read in the United States: Django has no es_US module, and its es one writes
# dates day-first (d/m/Y) and amounts as 1 234,50. Here dates spell the month out or are
# month-first, amounts read $1,234.50, and times have seconds as in English (the desk's
# audit record needs them; claims_portal/formats/en).
DATE_FORMAT = r"j \d\e F \d\e Y"
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i:s"
YEAR_MONTH_FORMAT = r"F \d\e Y"
MONTH_DAY_FORMAT = r"j \d\e F"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s"
FIRST_DAY_OF_WEEK = 0  # Sunday, as US calendars
DATE_INPUT_FORMATS = ["%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

"""Google's protobuf types a payload may import without shipping them.

* ``google/protobuf/*`` well-known types have their own proto3 JSON forms
  (https://protobuf.dev/programming-guides/json/): they become inline schemas.
* ``google/type/*`` (googleapis common types) are ordinary messages: their field
  declarations are embedded below as .proto text and parsed like the payload's own,
  so they become ``$defs`` with the normal proto3 JSON mapping. Only the field
  declarations are kept (no options, no comments), written out from the public
  googleapis definitions.
"""

from __future__ import annotations

from typing import Any

from asyncgen.schemaformats.common import FLOAT32_MAX, INT32_MAX, INT32_MIN, UINT32_MAX

BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
INT64_PATTERN = r"^-?[0-9]+$"
UINT64_PATTERN = r"^[0-9]+$"
DURATION_PATTERN = r"^-?[0-9]+(\.[0-9]{1,9})?s$"

# proto scalar -> JSON Schema (proto3 JSON mapping: 64-bit integers are strings)
SCALARS: dict[str, dict[str, Any]] = {
    "double": {"type": "number", "format": "double"},
    "float": {"type": "number", "format": "float", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX},
    "int32": {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX},
    "sint32": {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX},
    "sfixed32": {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX},
    "uint32": {"type": "integer", "minimum": 0, "maximum": UINT32_MAX},
    "fixed32": {"type": "integer", "minimum": 0, "maximum": UINT32_MAX},
    "int64": {"type": "string", "pattern": INT64_PATTERN},
    "sint64": {"type": "string", "pattern": INT64_PATTERN},
    "sfixed64": {"type": "string", "pattern": INT64_PATTERN},
    "uint64": {"type": "string", "pattern": UINT64_PATTERN},
    "fixed64": {"type": "string", "pattern": UINT64_PATTERN},
    "bool": {"type": "boolean"},
    "string": {"type": "string"},
    "bytes": {"type": "string", "contentEncoding": "base64", "format": "byte", "pattern": BASE64_PATTERN},
}

# the zero value each scalar has in proto3 when absent, in its JSON form
ZERO_VALUES: dict[str, Any] = {
    **dict.fromkeys(("double", "float"), 0),
    **dict.fromkeys(("int32", "sint32", "sfixed32", "uint32", "fixed32"), 0),
    **dict.fromkeys(("int64", "sint64", "sfixed64", "uint64", "fixed64"), "0"),
    "bool": False,
    "string": "",
    "bytes": "",
}


def _nullable(scalar: str) -> dict[str, Any]:
    schema = dict(SCALARS[scalar])
    schema["type"] = [schema["type"], "null"]
    return schema


WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": DURATION_PATTERN},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.NullValue": {"type": "null"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
    },
    "google.protobuf.DoubleValue": _nullable("double"),
    "google.protobuf.FloatValue": _nullable("float"),
    "google.protobuf.Int32Value": _nullable("int32"),
    "google.protobuf.UInt32Value": _nullable("uint32"),
    "google.protobuf.Int64Value": _nullable("int64"),
    "google.protobuf.UInt64Value": _nullable("uint64"),
    "google.protobuf.BoolValue": _nullable("bool"),
    "google.protobuf.StringValue": _nullable("string"),
    "google.protobuf.BytesValue": _nullable("bytes"),
}

GOOGLE_TYPE_PROTO = """
syntax = "proto3";
package google.type;
message Date { int32 year = 1; int32 month = 2; int32 day = 3; }
message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }
message TimeZone { string id = 1; string version = 2; }
message DateTime {
  int32 year = 1; int32 month = 2; int32 day = 3;
  int32 hours = 4; int32 minutes = 5; int32 seconds = 6; int32 nanos = 7;
  oneof time_offset { google.protobuf.Duration utc_offset = 8; TimeZone time_zone = 9; }
}
message Decimal { string value = 1; }
message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }
message LatLng { double latitude = 1; double longitude = 2; }
message Interval { google.protobuf.Timestamp start_time = 1; google.protobuf.Timestamp end_time = 2; }
message Fraction { int64 numerator = 1; int64 denominator = 2; }
message Color { float red = 1; float green = 2; float blue = 3; google.protobuf.FloatValue alpha = 4; }
message Expr { string expression = 1; string title = 2; string description = 3; string location = 4; }
message Quaternion { double x = 1; double y = 2; double z = 3; double w = 4; }
message LocalizedText { string text = 1; string language_code = 2; }
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3;
  THURSDAY = 4; FRIDAY = 5; SATURDAY = 6; SUNDAY = 7;
}
enum Month {
  MONTH_UNSPECIFIED = 0; JANUARY = 1; FEBRUARY = 2; MARCH = 3; APRIL = 4; MAY = 5; JUNE = 6;
  JULY = 7; AUGUST = 8; SEPTEMBER = 9; OCTOBER = 10; NOVEMBER = 11; DECEMBER = 12;
}
enum CalendarPeriod {
  CALENDAR_PERIOD_UNSPECIFIED = 0; DAY = 1; WEEK = 2; FORTNIGHT = 3; MONTH = 4;
  QUARTER = 5; HALF = 6; YEAR = 7;
}
"""


def is_known_import(path: str) -> bool:
    """Imports we can satisfy: any google/protobuf/* (the WKTs) and google/type/*."""
    return path.startswith(("google/protobuf/", "google/type/"))

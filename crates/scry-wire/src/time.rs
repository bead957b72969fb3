//! Timestamps on the wire: restJson1 sends epoch seconds as JSON numbers (botocore's default for
//! this model); we also accept ISO-8601 strings and numeric strings when reading, and write whole
//! seconds as integers (as botocore itself does).

use serde::{de, Deserializer, Serializer};

use crate::Timestamp;

/// Parses an ISO-8601 / RFC 3339 date-time or a decimal number of seconds.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    let dt = chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc().fixed_offset())
        })
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc().fixed_offset())
        })?;
    Some(dt.timestamp() as f64 + f64::from(dt.timestamp_subsec_nanos()) / 1e9)
}

fn write<S: Serializer>(t: Timestamp, s: S) -> Result<S::Ok, S::Error> {
    if t.fract() == 0.0 && t.abs() < 9.0e15 {
        s.serialize_i64(t as i64)
    } else {
        s.serialize_f64(t)
    }
}

struct Visitor;

impl de::Visitor<'_> for Visitor {
    type Value = Timestamp;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a timestamp (epoch seconds or ISO-8601 string)")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        parse_timestamp(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// `#[serde(with = "crate::time::epoch")]` for a required timestamp.
pub mod epoch {
    use super::*;
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        write(*t, s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_any(Visitor)
    }
}

/// `#[serde(with = "crate::time::opt_epoch")]` for an optional timestamp.
pub mod opt_epoch {
    use super::*;
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => write(*t, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        struct Opt;
        impl<'de> de::Visitor<'de> for Opt {
            type Value = Option<Timestamp>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a timestamp (epoch seconds or ISO-8601 string) or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(Visitor).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_and_numbers() {
        assert_eq!(
            parse_timestamp("2024-01-01T00:00:00Z"),
            Some(1_704_067_200.0)
        );
        assert_eq!(
            parse_timestamp("2024-01-01T00:00:00.5+00:00"),
            Some(1_704_067_200.5)
        );
        assert_eq!(parse_timestamp("2024-01-01"), Some(1_704_067_200.0));
        assert_eq!(parse_timestamp("1704067200"), Some(1_704_067_200.0));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}

//! Validation errors that name every bad field of a request at once.

use std::fmt;

/// One bad field: its path in the request (`claims[2].spans[0].end`) and
/// what is wrong with it, phrased for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request, in protobuf field names.
    pub field: String,
    /// What is wrong and what would be right.
    pub description: String,
}

/// Every violation found in one request. Parsers push into it and keep
/// going, so the caller learns about all bad fields in one round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one bad field.
    pub fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// True when nothing was wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations found, in the order they were found.
    pub fn list(&self) -> &[FieldViolation] {
        &self.0
    }

    /// `Ok(value)` when nothing was wrong, else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// A single-violation error, for checks that can only fail one way.
    pub fn single(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut v = Self::new();
        v.push(field, description);
        v
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for Violations {}

/// Checks a free-text field's length in code points (the unit spans use).
pub fn check_len(v: &mut Violations, field: &str, value: &str, max: usize) {
    let n = value.chars().count();
    if n > max {
        v.push(field, format!("must be at most {max} characters (got {n})"));
    } else if value.contains('\0') {
        // PostgreSQL text cannot hold NUL: refuse it here, not as a
        // database error.
        v.push(field, "must not contain NUL characters");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_keep_every_field_in_order() {
        let mut v = Violations::new();
        v.push("a", "bad");
        v.push("b", "worse");
        assert_eq!(v.list().len(), 2);
        assert_eq!(v.to_string(), "a: bad; b: worse");
        assert!(v.into_result(()).is_err());
    }
}

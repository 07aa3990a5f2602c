//! Errors to gRPC statuses: one exhaustive mapping, rich details, and no
//! internal text on the wire (the full cause is logged here, once).

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Violations;
use crate::store::StoreError;

/// Longest message sent to a client; long statuses break HTTP/2 framing in
/// some clients (see STACK.md, trap 1).
const MAX_MESSAGE: usize = 1000;

fn clip(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// INVALID_ARGUMENT with a `google.rpc.BadRequest` naming every bad field.
/// Violations are listed in full up to these limits; past them one more
/// entry says how many were left out (statuses over ~16 KiB of headers are
/// refused by HTTP/2 clients: STACK.md, trap 1).
const MAX_DETAILED: usize = 100;
const MAX_DETAIL_BYTES: usize = 8 * 1024;

/// INVALID_ARGUMENT with a `google.rpc.BadRequest` naming every bad field
/// (up to [`MAX_DETAILED`] of them, and the count of the rest).
pub fn invalid(v: &Violations) -> Status {
    let mut details = ErrorDetails::new();
    let mut bytes = 0;
    for (i, f) in v.list().iter().enumerate() {
        bytes += f.field.len() + f.description.len();
        if i == MAX_DETAILED || bytes > MAX_DETAIL_BYTES {
            let rest = v.list().len() - i;
            details.add_bad_request_violation("", format!("… and {rest} more violations"));
            break;
        }
        details.add_bad_request_violation(f.field.clone(), f.description.clone());
    }
    let n = v.list().len();
    let msg = format!(
        "invalid request: {n} bad field{}: {v}",
        if n == 1 { "" } else { "s" }
    );
    Status::with_error_details(Code::InvalidArgument, clip(msg), details)
}

/// Maps a store error to a status, logging internal causes.
pub fn from_store(e: StoreError) -> Status {
    match e {
        StoreError::Invalid(v) => invalid(&v),
        StoreError::NotFound { field, message } => {
            let mut d = ErrorDetails::new();
            d.set_resource_info("", field.clone(), "", message.clone());
            Status::with_error_details(Code::NotFound, clip(format!("{field}: {message}")), d)
        }
        StoreError::Ambiguous {
            field,
            name,
            candidates,
        } => ambiguous(&field, &name, &candidates),
        StoreError::AlreadyExists(msg) => Status::already_exists(msg),
        StoreError::RevisionMismatch { expected, actual } => {
            let mut d = ErrorDetails::new();
            let msg = format!(
                "the record is at revision {actual}, not the expected {expected}: it changed since you read it; re-read and retry"
            );
            d.add_precondition_failure_violation("REVISION", "expected_revision", msg.clone());
            Status::with_error_details(Code::FailedPrecondition, msg, d)
        }
        StoreError::Precondition { field, message } => {
            let mut d = ErrorDetails::new();
            d.add_precondition_failure_violation("STATE", field.clone(), message.clone());
            Status::with_error_details(
                Code::FailedPrecondition,
                clip(format!("{field}: {message}")),
                d,
            )
        }
        StoreError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "database unavailable");
            Status::unavailable("the database is unavailable; retry shortly")
        }
        StoreError::Database(cause) => {
            tracing::error!(error = %cause, "database error");
            Status::internal("internal error")
        }
        StoreError::Corrupt(cause) => {
            tracing::error!(error = %cause, "corrupt stored data");
            Status::internal("internal error")
        }
    }
}

/// FAILED_PRECONDITION for an ambiguous name, listing the candidates' ids in
/// the message and as precondition violations (one per candidate).
fn ambiguous(field: &str, name: &str, candidates: &[uuid::Uuid]) -> Status {
    let ids: Vec<String> = candidates.iter().map(|c| c.to_string()).collect();
    let mut d = ErrorDetails::new();
    for id in &ids {
        d.add_precondition_failure_violation(
            "AMBIGUOUS_NAME",
            field.to_string(),
            format!("{name:?} matches entity {id}"),
        );
    }
    let msg = format!(
        "{field}: the name {name:?} matches {} entities ({}); refer to one by id or external_id",
        ids.len(),
        ids.join(", ")
    );
    Status::with_error_details(Code::FailedPrecondition, clip(msg), d)
}

//! `claimdb.v1.ReviewService`: fact-check verdicts on statements.

use tonic::{Request, Response, Status};

use super::convert::{self, entity_kind_out};
use super::error::{from_store, invalid};
use super::{actor, Paging};
use crate::domain::statement::{NewReview, Review};
use crate::domain::{EntityKind, EntityRef, Violations};
use crate::pb::v1 as pb;
use crate::pb::v1::review_service_server::ReviewService;
use crate::store::{Directory, Store};

/// The review service over a store.
#[derive(Clone, Debug)]
pub struct ReviewApi {
    store: Store,
}

impl ReviewApi {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// A reviewer reference: a name without a kind means an organization.
pub fn reviewer_ref(
    v: &mut Violations,
    field: &str,
    r: Option<&pb::EntityRef>,
) -> Option<EntityRef> {
    let r = convert::entity_ref(v, field, r, true)?;
    Some(match r {
        EntityRef::Name { name, kind: None } => EntityRef::Name {
            name,
            kind: Some(EntityKind::Organization),
        },
        other => other,
    })
}

fn parse_create(req: &pb::CreateReviewRequest) -> Result<(uuid::Uuid, NewReview), Violations> {
    let mut v = Violations::new();
    let statement = convert::uuid(&mut v, "statement_id", &req.statement_id);
    let reviewer = reviewer_ref(&mut v, "reviewer", req.reviewer.as_ref());
    let review_time = convert::time(&mut v, "review_time", req.review_time.as_ref());
    let rating = (req.rating_value, req.best_rating, req.worst_rating);
    let new = NewReview::parse(
        &mut v,
        "",
        reviewer,
        &req.rating_text,
        rating,
        &req.url,
        review_time,
    );
    match (statement, new) {
        (Some(s), Some(n)) if v.is_empty() => Ok((s, n)),
        _ => Err(v),
    }
}

/// A stored review on the wire.
pub fn review_out(r: &Review, dir: &Directory) -> pb::Review {
    let reviewer = dir.get(&r.reviewer_id).map(|s| pb::EntitySummary {
        id: s.id.to_string(),
        name: s.name.clone(),
        kind: entity_kind_out(s.kind),
    });
    pb::Review {
        id: r.id.to_string(),
        statement_id: r.statement_id.to_string(),
        reviewer,
        rating_text: r.rating_text.clone(),
        rating_value: r.rating_value,
        best_rating: r.best_rating,
        worst_rating: r.worst_rating,
        url: r.url.clone(),
        review_time: r.review_time.map(convert::timestamp),
        create_time: Some(convert::timestamp(r.create_time)),
    }
}

#[tonic::async_trait]
impl ReviewService for ReviewApi {
    async fn create_review(
        &self,
        request: Request<pb::CreateReviewRequest>,
    ) -> Result<Response<pb::CreateReviewResponse>, Status> {
        let actor = actor(&request);
        let (statement, new) = parse_create(request.get_ref()).map_err(|v| invalid(&v))?;
        let (review, dir) = self
            .store
            .create_review(statement, &new, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::CreateReviewResponse {
            review: Some(review_out(&review, &dir)),
        }))
    }

    async fn list_reviews(
        &self,
        request: Request<pb::ListReviewsRequest>,
    ) -> Result<Response<pb::ListReviewsResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = convert::uuid(&mut v, "statement_id", &req.statement_id);
        let paging = Paging::parse(
            &mut v,
            &("reviews", &req.statement_id),
            req.page_size,
            &req.page_token,
        );
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("statement_id: is required"))?;
        let page = self
            .store
            .list_reviews(id, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::ListReviewsResponse {
            reviews: page
                .items
                .iter()
                .map(|r| review_out(r, &page.entities))
                .collect(),
            next_page_token: paging.token(page.next),
        }))
    }
}

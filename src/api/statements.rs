//! `claimdb.v1.StatementService`: statements, their appearances, the
//! overrides of the matching (merge, split), and ClaimReview exchange.

use tonic::{Request, Response, Status};

use super::claimreview;
use super::convert::{self, claim_out, entity_kind_out};
use super::error::{from_store, invalid};
use super::reviews::review_out;
use super::{actor, Paging};
use crate::domain::statement::{Review, Statement, StatementFilter, StatementOrder};
use crate::domain::Violations;
use crate::pb::v1 as pb;
use crate::pb::v1::statement_service_server::StatementService;
use crate::store::{Directory, Store};

/// The statement service over a store.
#[derive(Clone, Debug)]
pub struct StatementApi {
    store: Store,
}

impl StatementApi {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn summary(dir: &Directory, id: uuid::Uuid) -> pb::EntitySummary {
    match dir.get(&id) {
        Some(s) => pb::EntitySummary {
            id: s.id.to_string(),
            name: s.name.clone(),
            kind: entity_kind_out(s.kind),
        },
        None => pb::EntitySummary {
            id: id.to_string(),
            ..Default::default()
        },
    }
}

/// A statement on the wire (reviews included when given).
pub fn statement_out(s: &Statement, reviews: &[Review], dir: &Directory) -> pb::Statement {
    let first_appearance = s.first_claim_id.map(|claim| pb::Appearance {
        claim_id: claim.to_string(),
        article_id: s
            .first_article_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        url: s.first_url.clone().unwrap_or_default(),
        publisher: s.first_publisher_id.map(|p| summary(dir, p)),
        published_time: s.first_time.map(convert::timestamp),
    });
    pb::Statement {
        id: s.id.to_string(),
        speakers: s.speaker_ids.iter().map(|id| summary(dir, *id)).collect(),
        canonical_text: s.canonical_text.clone(),
        first_appearance,
        appearance_count: s.appearance_count,
        outlet_count: s.outlet_count,
        outlets: s.outlet_ids.iter().map(|id| summary(dir, *id)).collect(),
        reviews: reviews.iter().map(|r| review_out(r, dir)).collect(),
        create_time: Some(convert::timestamp(s.create_time)),
    }
}

fn parse_order(v: &mut Violations, raw: i32) -> StatementOrder {
    match pb::StatementOrder::try_from(raw) {
        Ok(pb::StatementOrder::Unspecified | pb::StatementOrder::FirstAppearance) => {
            StatementOrder::FirstAppearance
        }
        Ok(pb::StatementOrder::AppearanceCount) => StatementOrder::AppearanceCount,
        Err(_) => {
            v.push("order_by", format!("unknown order {raw}"));
            StatementOrder::FirstAppearance
        }
    }
}

/// Parses the filter and paging of a `ListStatements` request; `p`
/// prefixes field paths (`list.` inside an export request).
pub fn parse_list(
    v: &mut Violations,
    p: &str,
    req: &pb::ListStatementsRequest,
) -> (StatementFilter, Paging) {
    let query = req.query.trim();
    crate::domain::error::check_len(v, &format!("{p}query"), query, 1000);
    let filter = StatementFilter {
        speaker: convert::entity_ref(v, &format!("{p}speaker"), req.speaker.as_ref(), false),
        subject: convert::entity_ref(v, &format!("{p}subject"), req.subject.as_ref(), false),
        after: convert::time(
            v,
            &format!("{p}first_appearance_after"),
            req.first_appearance_after.as_ref(),
        ),
        before: convert::time(
            v,
            &format!("{p}first_appearance_before"),
            req.first_appearance_before.as_ref(),
        ),
        query: (!query.is_empty()).then(|| query.to_string()),
        order: parse_order(v, req.order_by),
    };
    if let (Some(a), Some(b)) = (filter.after, filter.before) {
        if a >= b {
            v.push(
                format!("{p}first_appearance_before"),
                "must be later than first_appearance_after",
            );
        }
    }
    let paging = Paging::parse(v, &filter, req.page_size, &req.page_token);
    (filter, paging)
}

/// A required reason of an override.
fn reason<'a>(v: &mut Violations, raw: &'a str) -> &'a str {
    let r = raw.trim();
    if r.is_empty() {
        v.push("reason", "is required: say why");
    }
    crate::domain::error::check_len(v, "reason", r, 2000);
    r
}

fn required_id(v: &mut Violations, field: &str, raw: &str) -> Option<uuid::Uuid> {
    convert::uuid(v, field, raw)
}

#[tonic::async_trait]
impl StatementService for StatementApi {
    async fn get_statement(
        &self,
        request: Request<pb::GetStatementRequest>,
    ) -> Result<Response<pb::GetStatementResponse>, Status> {
        let mut v = Violations::new();
        let id = required_id(&mut v, "id", &request.get_ref().id);
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let view = self.store.get_statement(id).await.map_err(from_store)?;
        Ok(Response::new(pb::GetStatementResponse {
            statement: Some(statement_out(
                &view.statement,
                &view.reviews,
                &view.entities,
            )),
            resolved_from: view
                .resolved_from
                .map(|i| i.to_string())
                .unwrap_or_default(),
        }))
    }

    async fn list_statements(
        &self,
        request: Request<pb::ListStatementsRequest>,
    ) -> Result<Response<pb::ListStatementsResponse>, Status> {
        let mut v = Violations::new();
        let (filter, paging) = parse_list(&mut v, "", request.get_ref());
        v.into_result(()).map_err(|v| invalid(&v))?;
        let page = self
            .store
            .list_statements(&filter, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::ListStatementsResponse {
            statements: page
                .items
                .iter()
                .map(|s| statement_out(s, &[], &page.entities))
                .collect(),
            next_page_token: paging.token(page.next),
        }))
    }

    async fn list_appearances(
        &self,
        request: Request<pb::ListAppearancesRequest>,
    ) -> Result<Response<pb::ListAppearancesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = required_id(&mut v, "id", &req.id);
        let paging = Paging::parse(
            &mut v,
            &("appearances", &req.id),
            req.page_size,
            &req.page_token,
        );
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let page = self
            .store
            .list_appearances(id, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::ListAppearancesResponse {
            claims: page
                .items
                .into_iter()
                .map(|c| claim_out(c, &page.entities))
                .collect(),
            next_page_token: paging.token(page.next),
        }))
    }

    async fn merge_statements(
        &self,
        request: Request<pb::MergeStatementsRequest>,
    ) -> Result<Response<pb::MergeStatementsResponse>, Status> {
        let actor = actor(&request);
        let req = request.get_ref();
        let mut v = Violations::new();
        let from = required_id(&mut v, "from_id", &req.from_id);
        let into = required_id(&mut v, "into_id", &req.into_id);
        let reason = reason(&mut v, &req.reason);
        let ids = v.into_result((from, into)).map_err(|v| invalid(&v))?;
        let (Some(from), Some(into)) = ids else {
            return Err(Status::invalid_argument("from_id and into_id are required"));
        };
        let view = self
            .store
            .merge_statements(from, into, reason, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::MergeStatementsResponse {
            statement: Some(statement_out(
                &view.statement,
                &view.reviews,
                &view.entities,
            )),
        }))
    }

    async fn split_claim_from_statement(
        &self,
        request: Request<pb::SplitClaimFromStatementRequest>,
    ) -> Result<Response<pb::SplitClaimFromStatementResponse>, Status> {
        let actor = actor(&request);
        let req = request.get_ref();
        let mut v = Violations::new();
        let claim = required_id(&mut v, "claim_id", &req.claim_id);
        let reason = reason(&mut v, &req.reason);
        let claim = v.into_result(claim).map_err(|v| invalid(&v))?;
        let claim = claim.ok_or_else(|| Status::invalid_argument("claim_id: is required"))?;
        let (rec, view) = self
            .store
            .split_claim(claim, reason, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::SplitClaimFromStatementResponse {
            claim: Some(claim_out(rec, &view.entities)),
            statement: Some(statement_out(
                &view.statement,
                &view.reviews,
                &view.entities,
            )),
        }))
    }

    async fn export_claim_reviews(
        &self,
        request: Request<pb::ExportClaimReviewsRequest>,
    ) -> Result<Response<pb::ExportClaimReviewsResponse>, Status> {
        claimreview::export(&self.store, request.get_ref())
            .await
            .map(Response::new)
    }

    async fn import_claim_reviews(
        &self,
        request: Request<pb::ImportClaimReviewsRequest>,
    ) -> Result<Response<pb::ImportClaimReviewsResponse>, Status> {
        let actor = actor(&request);
        claimreview::import(&self.store, &request.get_ref().json_ld, &actor)
            .await
            .map(Response::new)
    }
}

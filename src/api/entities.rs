//! `claimdb.v1.EntityService`.

use tonic::{Request, Response, Status};

use super::convert::{self, entity_out};
use super::error::{from_store, invalid};
use super::{actor, Paging};
use crate::domain::entity::{parse_aliases, parse_external_ids, parse_name};
use crate::domain::text::fold_name;
use crate::domain::{EntityFilter, EntityPatch, NewEntity, Violations};
use crate::pb::v1 as pb;
use crate::pb::v1::entity_service_server::EntityService;
use crate::store::Store;

/// The entity service over a store.
#[derive(Clone, Debug)]
pub struct EntityApi {
    store: Store,
}

impl EntityApi {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn parse_new(e: Option<&pb::Entity>) -> Result<NewEntity, Violations> {
    let Some(e) = e else {
        return Err(Violations::single("entity", "is required"));
    };
    let mut v = Violations::new();
    let kind = convert::entity_kind(&mut v, "entity.kind", e.kind);
    // An unknown kind is already reported; do not also call it missing.
    let kind = if e.kind != 0 && kind.is_none() {
        Some(crate::domain::EntityKind::Other)
    } else {
        kind
    };
    match NewEntity::parse(
        "entity",
        kind,
        &e.name,
        &e.aliases,
        &e.external_ids,
        &e.description,
    ) {
        Ok(n) if v.is_empty() => Ok(n),
        Ok(_) => Err(v),
        Err(more) => {
            for f in more.list() {
                v.push(f.field.clone(), f.description.clone());
            }
            Err(v)
        }
    }
}

fn parse_patch(v: &mut Violations, e: &pb::Entity, paths: &[String]) -> EntityPatch {
    let mut patch = EntityPatch::default();
    if paths.is_empty() {
        v.push("update_mask", "name at least one field to change");
    }
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "name" => patch.name = Some(parse_name(v, "entity.name", &e.name)),
            "kind" => {
                patch.kind = convert::entity_kind(v, "entity.kind", e.kind);
                if patch.kind.is_none() {
                    v.push("entity.kind", "must not be UNSPECIFIED");
                }
            }
            "aliases" => patch.aliases = Some(parse_aliases(v, "entity.aliases", &e.aliases)),
            "external_ids" => {
                patch.external_ids = Some(parse_external_ids(
                    v,
                    "entity.external_ids",
                    &e.external_ids,
                ))
            }
            "description" => {
                crate::domain::error::check_len(v, "entity.description", &e.description, 5000);
                patch.description = Some(e.description.trim().to_string());
            }
            other => v.push(
                format!("update_mask.paths[{i}]"),
                format!("{other:?} is not a field of an entity that can be changed"),
            ),
        }
    }
    patch
}

#[tonic::async_trait]
impl EntityService for EntityApi {
    async fn create_entity(
        &self,
        request: Request<pb::CreateEntityRequest>,
    ) -> Result<Response<pb::CreateEntityResponse>, Status> {
        let actor = actor(&request);
        let new = parse_new(request.get_ref().entity.as_ref()).map_err(|v| invalid(&v))?;
        let e = self
            .store
            .create_entity(&new, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::CreateEntityResponse {
            entity: Some(entity_out(&e)),
        }))
    }

    async fn get_entity(
        &self,
        request: Request<pb::GetEntityRequest>,
    ) -> Result<Response<pb::GetEntityResponse>, Status> {
        let mut v = Violations::new();
        let id = convert::uuid(&mut v, "id", &request.get_ref().id);
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("id: is required"))?;
        let (e, resolved_from) = self
            .store
            .get_entity_resolved(id)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::GetEntityResponse {
            entity: Some(entity_out(&e)),
            resolved_from: resolved_from.map(|i| i.to_string()).unwrap_or_default(),
        }))
    }

    async fn merge_entities(
        &self,
        request: Request<pb::MergeEntitiesRequest>,
    ) -> Result<Response<pb::MergeEntitiesResponse>, Status> {
        let actor = actor(&request);
        let req = request.get_ref();
        let mut v = Violations::new();
        let from = convert::uuid(&mut v, "from_id", &req.from_id);
        let into = convert::uuid(&mut v, "into_id", &req.into_id);
        let reason = req.reason.trim();
        if reason.is_empty() {
            v.push("reason", "is required: say why the entities are one");
        }
        crate::domain::error::check_len(&mut v, "reason", reason, 2000);
        let ids = v.into_result((from, into)).map_err(|v| invalid(&v))?;
        let (Some(from), Some(into)) = ids else {
            return Err(Status::invalid_argument("from_id and into_id are required"));
        };
        let (e, n) = self
            .store
            .merge_entities(from, into, reason, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::MergeEntitiesResponse {
            entity: Some(entity_out(&e)),
            claims_rewritten: i64::try_from(n).unwrap_or(i64::MAX),
        }))
    }

    async fn list_entities(
        &self,
        request: Request<pb::ListEntitiesRequest>,
    ) -> Result<Response<pb::ListEntitiesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        crate::domain::error::check_len(&mut v, "query", &req.query, 300);
        let query = fold_name(&req.query);
        let filter = EntityFilter {
            query: (!query.is_empty()).then_some(query),
            kind: convert::entity_kind(&mut v, "kind", req.kind),
        };
        let paging = Paging::parse(&mut v, &filter, req.page_size, &req.page_token);
        v.into_result(()).map_err(|v| invalid(&v))?;
        let page = self
            .store
            .list_entities(&filter, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::ListEntitiesResponse {
            entities: page.items.iter().map(entity_out).collect(),
            next_page_token: paging.token(page.next),
        }))
    }

    async fn update_entity(
        &self,
        request: Request<pb::UpdateEntityRequest>,
    ) -> Result<Response<pb::UpdateEntityResponse>, Status> {
        let actor = actor(&request);
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let (id, patch) = match &req.entity {
            Some(e) => (
                convert::uuid(&mut v, "entity.id", &e.id),
                parse_patch(&mut v, e, &paths),
            ),
            None => {
                v.push("entity", "is required");
                (None, EntityPatch::default())
            }
        };
        if req.expected_revision < 0 {
            v.push("expected_revision", "must not be negative");
        }
        let id = v.into_result(id).map_err(|v| invalid(&v))?;
        let id = id.ok_or_else(|| Status::invalid_argument("entity.id: is required"))?;
        let e = self
            .store
            .update_entity(id, &patch, req.expected_revision, &actor)
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::UpdateEntityResponse {
            entity: Some(entity_out(&e)),
        }))
    }
}

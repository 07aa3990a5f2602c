//! `claimdb.v1.ArticleService`.

use tonic::{Request, Response, Status};

use super::convert::{self, article_out};
use super::error::{from_store, invalid};
use super::Paging;
use crate::domain::{normalize_url, ArticleFilter, Violations};
use crate::pb::v1 as pb;
use crate::pb::v1::article_service_server::ArticleService;
use crate::store::Store;

/// The article service over a store.
#[derive(Clone, Debug)]
pub struct ArticleApi {
    store: Store,
}

impl ArticleApi {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl ArticleService for ArticleApi {
    async fn get_article(
        &self,
        request: Request<pb::GetArticleRequest>,
    ) -> Result<Response<pb::GetArticleResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = convert::opt_uuid(&mut v, "id", &req.id);
        let url = match req.url.trim() {
            "" => None,
            u => normalize_url(u).map_err(|e| v.push("url", e)).ok(),
        };
        if req.id.trim().is_empty() && req.url.trim().is_empty() {
            v.push("id", "give an id or a url");
        }
        v.into_result(()).map_err(|v| invalid(&v))?;
        let (article, dir) = self
            .store
            .get_article(id, url.as_deref())
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::GetArticleResponse {
            article: Some(article_out(&article, &dir, true)),
        }))
    }

    async fn list_articles(
        &self,
        request: Request<pb::ListArticlesRequest>,
    ) -> Result<Response<pb::ListArticlesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let filter = ArticleFilter {
            publisher: convert::entity_ref(&mut v, "publisher", req.publisher.as_ref(), false),
            published_after: convert::time(&mut v, "published_after", req.published_after.as_ref()),
            published_before: convert::time(
                &mut v,
                "published_before",
                req.published_before.as_ref(),
            ),
            include_body: req.include_body,
        };
        let paging = Paging::parse(&mut v, &filter, req.page_size, &req.page_token);
        v.into_result(()).map_err(|v| invalid(&v))?;
        let page = self
            .store
            .list_articles(&filter, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        Ok(Response::new(pb::ListArticlesResponse {
            articles: page
                .items
                .iter()
                .map(|a| article_out(a, &page.entities, filter.include_body))
                .collect(),
            next_page_token: paging.token(page.next),
        }))
    }
}

//! ArticleService: read by id or URL, list by publisher and time.

use claimdb::pb::v1 as pb;
use tonic::Code;

use crate::helpers::{article, day, org, worked_example, TestApp};

#[tokio::test]
async fn an_article_is_found_by_id_and_by_any_form_of_its_url() {
    let mut app = TestApp::spawn().await;
    let stored = app.ingest(worked_example()).await.article.unwrap();
    let by_id = app
        .articles
        .get_article(pb::GetArticleRequest {
            id: stored.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .article
        .unwrap();
    assert!(by_id.body.contains("Lisbrano"));
    assert_eq!(by_id.claim_count, 5);
    let by_url = app
        .articles
        .get_article(pb::GetArticleRequest {
            url: "https://MERIDIANWIRE.example/world/2025/06/18/ekwall-valdoria-port-visit/#top"
                .into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .article
        .unwrap();
    assert_eq!(by_url.id, stored.id);
    let none = app
        .articles
        .get_article(pb::GetArticleRequest {
            url: "https://example.com/none".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(none.code(), Code::NotFound);
}

#[tokio::test]
async fn articles_list_newest_first_by_publisher_and_time() {
    let mut app = TestApp::spawn().await;
    for m in 1..=5u32 {
        let mut req = article(&format!("https://e.com/a{m}"), &[("A B", "x", day(m, 1))]);
        if m % 2 == 0 {
            req.article.as_mut().unwrap().publisher = Some(org("Even Times"));
        }
        app.ingest(req).await;
    }
    let list = |publisher: Option<pb::EntityRef>, after, token: String| pb::ListArticlesRequest {
        publisher,
        published_after: after,
        page_size: 2,
        page_token: token,
        ..Default::default()
    };
    let mut urls = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .articles
            .list_articles(list(None, None, token))
            .await
            .unwrap()
            .into_inner();
        urls.extend(page.articles.iter().map(|a| a.url.clone()));
        assert!(page.articles.iter().all(|a| a.body.is_empty()));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        urls,
        [
            "https://e.com/a5",
            "https://e.com/a4",
            "https://e.com/a3",
            "https://e.com/a2",
            "https://e.com/a1"
        ]
    );
    let even = app
        .articles
        .list_articles(list(
            Some(org("Even Times")),
            Some(day(3, 1)),
            String::new(),
        ))
        .await
        .unwrap()
        .into_inner()
        .articles;
    assert_eq!(even.len(), 1);
    assert_eq!(even[0].url, "https://e.com/a4");
}

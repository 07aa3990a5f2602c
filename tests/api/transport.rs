//! What standard tooling sees: reflection (v1 and v1alpha), gRPC-Web with
//! CORS for browsers, and the `claimdb serve` binary itself.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_stream::StreamExt;

use crate::helpers::{wait_for, TestApp};

async fn list_services_v1(addr: std::net::SocketAddr) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = ServerReflectionClient::new(channel);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let resp = stream.next().await.unwrap().unwrap();
    match resp.message_response {
        Some(MessageResponse::ListServicesResponse(l)) => {
            l.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection response {other:?}"),
    }
}

#[tokio::test]
async fn reflection_v1_lists_every_service() {
    let app = TestApp::spawn().await;
    let services = list_services_v1(app.addr).await;
    for s in [
        "claimdb.v1.ClaimService",
        "claimdb.v1.EntityService",
        "claimdb.v1.ArticleService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            services.contains(&s.to_string()),
            "{s} missing from {services:?}"
        );
    }
}

/// Sends raw HTTP/1.1 and returns the whole response.
async fn http1(addr: std::net::SocketAddr, request: Vec<u8>) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    out
}

#[tokio::test]
async fn browsers_can_call_over_grpc_web_with_cors() {
    let app = TestApp::spawn().await;
    let preflight = format!(
        "OPTIONS /claimdb.v1.EntityService/ListEntities HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:8080\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,x-grpc-web\r\nConnection: close\r\n\r\n",
        app.addr
    );
    let resp =
        String::from_utf8_lossy(&http1(app.addr, preflight.into_bytes()).await).to_lowercase();
    assert!(resp.starts_with("http/1.1 200"), "{resp}");
    assert!(resp.contains("access-control-allow-origin: *"), "{resp}");

    // An empty ListEntitiesRequest as one gRPC-Web frame: flag 0, length 0.
    let body = [0u8, 0, 0, 0, 0];
    let mut req = format!(
        "POST /claimdb.v1.EntityService/ListEntities HTTP/1.1\r\nHost: {}\r\nOrigin: http://localhost:8080\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let resp = http1(app.addr, req).await;
    let text = String::from_utf8_lossy(&resp).to_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(
        text.contains("content-type: application/grpc-web+proto"),
        "{text}"
    );
    assert!(text.contains("access-control-expose-headers"), "{text}");
    assert!(
        text.contains("grpc-status:0"),
        "trailer frame carries OK: {text}"
    );
}

#[tokio::test]
async fn claimdb_serve_runs_its_own_postgres_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::Builder::new()
        .prefix("claimdb-serve-")
        .tempdir_in("/tmp")
        .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdb"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("addr=").nth(1) {
                return rest.trim().to_string();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server starts within a minute");
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    wait_for(Duration::from_secs(20), "a reflection answer", || async {
        tokio::time::timeout(Duration::from_secs(2), list_services_v1(addr))
            .await
            .is_ok()
    })
    .await;
    assert!(
        dir.path().join("pgdata/postmaster.pid").exists(),
        "its PostgreSQL runs"
    );
    // SAFETY: sending SIGTERM to our own child process.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        !dir.path().join("pgdata/postmaster.pid").exists(),
        "its PostgreSQL was stopped"
    );
}

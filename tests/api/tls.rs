//! TLS with real handshakes: certificates made in the test (rcgen), a
//! server with `set_tls`, tonic clients that trust the test CA; and mutual
//! TLS, where a client without a certificate from the configured CA cannot
//! call anything.

use std::net::SocketAddr;

use claimdb::app::{Application, TlsPem};
use claimdb::pb::v1 as pb;
use claimdb::pb::v1::claim_service_client::ClaimServiceClient;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use tokio::sync::oneshot;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::helpers::fresh_database;

/// A test CA and what it signed.
struct Pki {
    ca_pem: String,
    server: (String, String),
    client: (String, String),
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &ca).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        ca_pem: ca.pem(),
        server: leaf(
            vec!["localhost".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        ),
        client: leaf(
            vec!["client.test".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
        ),
    }
}

/// Starts a TLS server; returns its address and a guard that stops it.
async fn spawn_tls(pem: TlsPem) -> (SocketAddr, oneshot::Sender<()>) {
    let (store, _) = fresh_database().await;
    let mut app = Application::with_store("127.0.0.1:0".parse().unwrap(), store, 8 << 20)
        .await
        .unwrap();
    app.set_tls(pem).expect("usable certificate");
    let addr = app.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// One ListClaims call over a fresh connection; the error as text.
async fn call(addr: SocketAddr, tls: Option<ClientTlsConfig>) -> Result<(), String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Channel::from_shared(format!("{scheme}://{addr}")).unwrap();
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).map_err(|e| e.to_string())?;
    }
    let channel = endpoint
        .connect_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    ClaimServiceClient::new(channel)
        .list_claims(pb::ListClaimsRequest::default())
        .await
        .map(|_| ())
        .map_err(|e| format!("call: {e:?}"))
}

fn trusting(ca: &str) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost")
}

#[tokio::test]
async fn a_tls_server_completes_a_real_handshake_and_refuses_plaintext() {
    let pki = pki();
    let (addr, _stop) = spawn_tls(TlsPem {
        cert: pki.server.0.clone().into_bytes(),
        key: pki.server.1.clone().into_bytes(),
        client_ca: None,
    })
    .await;
    call(addr, Some(trusting(&pki.ca_pem)))
        .await
        .expect("a client trusting the CA calls over TLS");
    assert!(call(addr, None).await.is_err(), "plaintext is refused");
    let other = self::pki();
    assert!(
        call(addr, Some(trusting(&other.ca_pem))).await.is_err(),
        "a client trusting another CA does not accept the server"
    );
    let wrong_name = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca_pem))
        .domain_name("not-localhost.example");
    assert!(
        call(addr, Some(wrong_name)).await.is_err(),
        "the name is checked"
    );
}

#[tokio::test]
async fn mutual_tls_admits_only_clients_with_a_certificate_from_the_client_ca() {
    let pki = pki();
    let (addr, _stop) = spawn_tls(TlsPem {
        cert: pki.server.0.clone().into_bytes(),
        key: pki.server.1.clone().into_bytes(),
        client_ca: Some(pki.ca_pem.clone().into_bytes()),
    })
    .await;
    let with_cert =
        trusting(&pki.ca_pem).identity(Identity::from_pem(&pki.client.0, &pki.client.1));
    call(addr, Some(with_cert))
        .await
        .expect("a client with a certificate from the CA calls");
    let err = call(addr, Some(trusting(&pki.ca_pem))).await;
    assert!(err.is_err(), "a client without a certificate is refused");
    let stranger = self::pki();
    let foreign =
        trusting(&pki.ca_pem).identity(Identity::from_pem(&stranger.client.0, &stranger.client.1));
    assert!(
        call(addr, Some(foreign)).await.is_err(),
        "a certificate from another CA is refused"
    );
}

#[tokio::test]
async fn an_unusable_certificate_is_refused_at_start_up() {
    let (store, _) = fresh_database().await;
    let mut app = Application::with_store("127.0.0.1:0".parse().unwrap(), store, 8 << 20)
        .await
        .unwrap();
    let err = app
        .set_tls(TlsPem {
            cert: b"not a certificate".to_vec(),
            key: b"not a key".to_vec(),
            client_ca: None,
        })
        .unwrap_err();
    assert!(format!("{err:#}").contains("TLS"), "{err:#}");
}

//! `WatchClaims`: the event hub and the per-stream producers.
//!
//! One LISTEN connection per server wakes every stream when an event
//! commits; each stream then reads the durable log after its own cursor.
//! Streams also poll once a second, so a lost notification (the listener
//! reconnecting after a database restart) delays events but never drops
//! them. Each stream has a bounded buffer: a client that stops reading is
//! cut off with RESOURCE_EXHAUSTED instead of growing server memory, and
//! ingest never waits for any watcher.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tokio::sync::{mpsc, watch};
use tokio_stream::Stream;
use tonic::Status;

use super::convert::{self, claim_out};
use super::error::from_store;
use crate::domain::Violations;
use crate::pb::v1 as pb;
use crate::store::{EventFilter, Store, StoreError};

/// How long a stream waits for its client to make room before cutting it off.
const STALL_TIMEOUT: Duration = Duration::from_secs(1);
/// Poll interval when no notification arrives.
const POLL: Duration = Duration::from_secs(1);
/// How soon a read that stopped at a hole looks again, if no notification
/// comes first: a transaction committing fills its hole within moments.
const HOLE_RECHECK: Duration = Duration::from_millis(20);

/// Shared state of all watch streams.
#[derive(Clone, Debug)]
pub struct EventHub {
    store: Store,
    wake: watch::Receiver<u64>,
    shutdown: watch::Receiver<bool>,
    buffer: usize,
}

impl EventHub {
    /// Starts the LISTEN task; streams end when `shutdown` turns true.
    pub fn start(store: Store, shutdown: watch::Receiver<bool>, buffer: usize) -> Self {
        let (tx, wake) = watch::channel(0u64);
        tokio::spawn(listen(store.clone(), tx, shutdown.clone()));
        Self {
            store,
            wake,
            shutdown,
            buffer: buffer.max(1),
        }
    }
}

/// Forwards notifications to the hub, reconnecting after failures, until the
/// pool closes or the server shuts down.
async fn listen(store: Store, wake: watch::Sender<u64>, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let mut listener = match store.listen_events().await {
            Ok(l) => l,
            Err(StoreError::Unavailable(sqlx::Error::PoolClosed)) => return,
            Err(e) => {
                tracing::debug!(error = %e, "event listener cannot connect; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        };
        loop {
            tokio::select! {
                r = listener.next() => match r {
                    Ok(()) => wake.send_modify(|g| *g = g.wrapping_add(1)),
                    Err(StoreError::Unavailable(sqlx::Error::PoolClosed)) => return,
                    Err(e) => {
                        tracing::debug!(error = %e, "event listener lost its connection");
                        break;
                    }
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Encodes a log position as an opaque cursor.
pub fn encode_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("ev:{seq}"))
}

fn decode_cursor(raw: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("ev:")?
        .parse()
        .ok()
        .filter(|s: &i64| *s >= 0)
}

/// The parsed request: filter (entities unresolved) and start position.
struct WatchRequest {
    speaker: Option<crate::domain::EntityRef>,
    subject: Option<crate::domain::EntityRef>,
    publisher: Option<crate::domain::EntityRef>,
    filter: EventFilter,
    cursor: Option<i64>,
    from_beginning: bool,
}

fn parse(req: &pb::WatchClaimsRequest) -> Result<WatchRequest, Violations> {
    let mut v = Violations::new();
    let kinds = req
        .kinds
        .iter()
        .enumerate()
        .filter_map(|(i, k)| convert::claim_kind(&mut v, &format!("kinds[{i}]"), *k))
        .collect();
    let query = req.query.trim();
    crate::domain::error::check_len(&mut v, "query", query, 1000);
    let cursor = match req.cursor.trim() {
        "" => None,
        c => {
            let seq = decode_cursor(c);
            if seq.is_none() {
                v.push("cursor", "is not a cursor from WatchClaims");
            }
            seq
        }
    };
    let parsed = WatchRequest {
        speaker: convert::entity_ref(&mut v, "speaker", req.speaker.as_ref(), false),
        subject: convert::entity_ref(&mut v, "subject", req.subject.as_ref(), false),
        publisher: convert::entity_ref(&mut v, "publisher", req.publisher.as_ref(), false),
        filter: EventFilter {
            kinds,
            query: (!query.is_empty()).then(|| query.to_string()),
            ..Default::default()
        },
        cursor,
        from_beginning: req.from_beginning,
    };
    v.into_result(parsed)
}

/// Starts a stream for a request.
pub async fn start(hub: &EventHub, req: &pb::WatchClaimsRequest) -> Result<WatchStream, Status> {
    let parsed = parse(req).map_err(|v| super::error::invalid(&v))?;
    let mut filter = parsed.filter;
    let store = &hub.store;
    if let Some(r) = &parsed.speaker {
        filter.speaker = Some(store.find_entity("speaker", r).await.map_err(from_store)?);
    }
    if let Some(r) = &parsed.subject {
        filter.subject = Some(store.find_entity("subject", r).await.map_err(from_store)?);
    }
    if let Some(r) = &parsed.publisher {
        filter.publisher = Some(
            store
                .find_entity("publisher", r)
                .await
                .map_err(from_store)?,
        );
    }
    let after = match (parsed.cursor, parsed.from_beginning) {
        (Some(c), _) => c,
        (None, true) => 0,
        (None, false) => store.event_head().await.map_err(from_store)?,
    };
    let (tx, rx) = mpsc::channel(hub.buffer);
    let overflow = Arc::new(AtomicBool::new(false));
    tokio::spawn(produce(hub.clone(), filter, after, tx, overflow.clone()));
    Ok(WatchStream {
        rx,
        overflow,
        finished: false,
    })
}

type Item = Result<pb::WatchClaimsResponse, Status>;

/// Reads the log after `after` and feeds the stream until the client goes
/// away, falls behind, or the server shuts down.
async fn produce(
    hub: EventHub,
    filter: EventFilter,
    mut after: i64,
    tx: mpsc::Sender<Item>,
    overflow: Arc<AtomicBool>,
) {
    let mut wake = hub.wake.clone();
    let mut shutdown = hub.shutdown.clone();
    // A hole seen by the last read (see `store::events`): seen twice, the
    // stream settles the log rather than wait for it to fill.
    let mut suspect: Option<i64> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Never read more than the client has room for: memory stays bounded.
        let room = match tokio::time::timeout(STALL_TIMEOUT, tx.reserve()).await {
            Ok(Ok(permit)) => {
                drop(permit);
                tx.capacity().max(1)
            }
            Ok(Err(_)) => return, // client gone
            Err(_) => {
                overflow.store(true, Ordering::SeqCst);
                return;
            }
        };
        let (events, settled, dir) = match hub.store.read_events(after, &filter, room as i64).await
        {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(from_store(e))).await;
                return;
            }
        };
        let full_read = events.len() == room;
        for e in events {
            let item = pb::WatchClaimsResponse {
                cursor: encode_cursor(e.seq),
                change: super::claims::change_out(e.change),
                claim: Some(claim_out(e.record, &dir)),
                record_time: Some(convert::timestamp(e.record_time)),
            };
            if tx.try_send(Ok(item)).is_err() {
                // Only possible if the client vanished: room was reserved.
                return;
            }
            after = e.seq;
        }
        if full_read {
            continue;
        }
        // Everything up to the settled position was read: skip what the
        // filter left out, so the next read starts there.
        after = after.max(settled.upto);
        if settled.more {
            continue;
        }
        let pause = match settled.hole {
            None => POLL,
            Some(hole) if suspect == Some(hole) => {
                suspect = None;
                match hub.store.settle_events().await {
                    Ok(true) => continue,
                    Ok(false) => POLL,
                    Err(e) => {
                        let _ = tx.send(Err(from_store(e))).await;
                        return;
                    }
                }
            }
            Some(hole) => {
                suspect = Some(hole);
                HOLE_RECHECK
            }
        };
        tokio::select! {
            _ = wake.changed() => {},
            _ = tokio::time::sleep(pause) => {},
            _ = shutdown.changed() => {},
        }
    }
}

/// The response stream: the buffered events, or RESOURCE_EXHAUSTED as soon
/// as the producer gave up on a stalled client.
#[derive(Debug)]
pub struct WatchStream {
    rx: mpsc::Receiver<Item>,
    overflow: Arc<AtomicBool>,
    finished: bool,
}

impl Stream for WatchStream {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.overflow.load(Ordering::SeqCst) {
            self.finished = true;
            return Poll::Ready(Some(Err(Status::resource_exhausted(
                "the client fell behind its stream buffer; reconnect with the last cursor received",
            ))));
        }
        self.rx.poll_recv(cx)
    }
}

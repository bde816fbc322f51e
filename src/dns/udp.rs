//! A lean UDP transport for bulk audits: a few long-lived sockets with random source ports,
//! queries multiplexed by random message id and checked against their question. hickory's
//! own client binds a socket per query, which costs more than the query itself when a run
//! asks tens of thousands of questions. Truncated answers go back to hickory (TCP).
//!
//! Each socket is connected to its server, so the kernel drops datagrams from anyone else and
//! reports "connection refused" (ICMP port unreachable) instead of leaving the query to time
//! out. The transport counts the queries its server failed in a row without an answer; at
//! [`DEAD_AFTER`] the server is judged dead and [`UdpTransport::is_dead`] says so.

use super::DEAD_AFTER;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType as WireType};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{OnceCell, oneshot};

/// Sockets per server: enough to spread ids and source ports, few enough to stay cheap.
const SOCKETS: usize = 8;
/// Room for the largest datagram there is: a server may send more than the EDNS payload we
/// advertise, and a datagram cut at a smaller buffer would not parse and leave its query to
/// time out.
const RECV_BUFFER: usize = u16::MAX as usize;

/// Why a UDP exchange gave no usable answer.
#[derive(Debug)]
pub(crate) enum UdpError {
    Timeout,
    Truncated,
    /// Nothing listens at the server's address (ICMP port unreachable, connection refused).
    Refused,
    Io,
}

/// What the receiver hands a waiting query.
enum Datagram {
    Bytes(Vec<u8>),
    /// The socket reported the server unreachable: every query waiting on it is refused.
    Refused,
}

/// Queries waiting on one socket, by DNS id. An id stays in the map, its sender taken once a
/// datagram for it arrived, until its query ends.
type Pending = Mutex<HashMap<u16, Option<oneshot::Sender<Datagram>>>>;

struct Slot {
    socket: Arc<UdpSocket>,
    pending: Arc<Pending>,
}

fn lock(p: &Pending) -> MutexGuard<'_, HashMap<u16, Option<oneshot::Sender<Datagram>>>> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct UdpTransport {
    server: SocketAddr,
    slots: OnceCell<Vec<Slot>>,
    next: AtomicUsize,
    payload: u16,
    /// Queries in a row that got no answer (timed out or refused); any answer resets it.
    silent: AtomicU32,
}

impl UdpTransport {
    pub(crate) fn new(server: SocketAddr, payload: u16) -> UdpTransport {
        UdpTransport {
            server,
            slots: OnceCell::new(),
            next: AtomicUsize::new(0),
            payload,
            silent: AtomicU32::new(0),
        }
    }

    pub(crate) fn server(&self) -> SocketAddr {
        self.server
    }

    /// The server failed [`DEAD_AFTER`] queries in a row without answering.
    pub(crate) fn is_dead(&self) -> bool {
        self.silent.load(Ordering::Relaxed) >= DEAD_AFTER
    }

    /// One question, sent up to `attempts` times within `timeout` in all; the outcome counts
    /// towards judging the server dead (no answer) or alive (any answer).
    pub(crate) async fn query(
        &self,
        name: &Name,
        rtype: WireType,
        timeout: Duration,
        attempts: usize,
    ) -> Result<Message, UdpError> {
        let outcome = self.exchange(name, rtype, timeout, attempts).await;
        match &outcome {
            Ok(_) | Err(UdpError::Truncated) => self.silent.store(0, Ordering::Relaxed),
            Err(UdpError::Timeout | UdpError::Refused) => {
                self.silent.fetch_add(1, Ordering::Relaxed);
            }
            Err(UdpError::Io) => {}
        }
        outcome
    }

    async fn slots(&self) -> Result<&[Slot], UdpError> {
        let server = self.server;
        self.slots
            .get_or_try_init(|| async move {
                let local: IpAddr = match server {
                    SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
                    SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
                };
                let mut slots = Vec::with_capacity(SOCKETS);
                for _ in 0..SOCKETS {
                    let socket = UdpSocket::bind(SocketAddr::new(local, 0))
                        .await
                        .map_err(|_| UdpError::Io)?;
                    socket.connect(server).await.map_err(|_| UdpError::Io)?;
                    let socket = Arc::new(socket);
                    let pending: Arc<Pending> = Arc::default();
                    tokio::spawn(receive(
                        Arc::clone(&socket),
                        Arc::downgrade(&pending),
                        server,
                    ));
                    slots.push(Slot { socket, pending });
                }
                Ok(slots)
            })
            .await
            .map(Vec::as_slice)
    }

    async fn exchange(
        &self,
        name: &Name,
        rtype: WireType,
        timeout: Duration,
        attempts: usize,
    ) -> Result<Message, UdpError> {
        let slots = self.slots().await?;
        let slot = &slots[self.next.fetch_add(1, Ordering::Relaxed) % slots.len()];
        let (id, mut receiver) = {
            let mut pending = lock(&slot.pending);
            let mut id: u16 = rand_id();
            while pending.contains_key(&id) {
                id = rand_id();
            }
            let (sender, receiver) = oneshot::channel();
            pending.insert(id, Some(sender));
            (id, receiver)
        };
        let _unregister = Unregister {
            pending: &slot.pending,
            id,
        };
        let mut message = Message::new(id, MessageType::Query, OpCode::Query);
        message.metadata.recursion_desired = true;
        message.add_query(Query::query(name.clone(), rtype));
        let mut edns = Edns::new();
        edns.set_max_payload(self.payload);
        message.set_edns(edns);
        let bytes = message.to_vec().map_err(|_| UdpError::Io)?;
        let attempts = attempts.max(1);
        let per_try = timeout / attempts as u32;
        for _ in 0..attempts {
            if let Err(error) = slot.socket.send(&bytes).await {
                if error.kind() != ErrorKind::ConnectionRefused {
                    return Err(UdpError::Io);
                }
                // The socket's one pending error: it was another query's refusal as much as
                // ours, and the receiver will not see it now.
                refuse_all(&slot.pending);
                return Err(UdpError::Refused);
            }
            let deadline = tokio::time::sleep(per_try);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    received = &mut receiver => {
                        let answer = match received {
                            Ok(Datagram::Bytes(answer)) => answer,
                            Ok(Datagram::Refused) => return Err(UdpError::Refused),
                            Err(_) => return Err(UdpError::Io),
                        };
                        match Message::from_vec(&answer) {
                            Ok(response) if answers(&response, name, rtype) => {
                                if response.metadata.truncation {
                                    return Err(UdpError::Truncated);
                                }
                                return Ok(response);
                            }
                            // A reply to another question under our id: keep waiting.
                            _ => {
                                let (sender, again) = oneshot::channel();
                                lock(&slot.pending).insert(id, Some(sender));
                                receiver = again;
                            }
                        }
                    }
                    _ = &mut deadline => break,
                }
            }
        }
        Err(UdpError::Timeout)
    }
}

/// Whether `response` is the answer to our question (RFC 5452 §9.1: id, source and question).
fn answers(response: &Message, name: &Name, rtype: WireType) -> bool {
    response.metadata.message_type == MessageType::Response
        && response
            .queries
            .first()
            .is_some_and(|q| q.query_type() == rtype && q.name() == name)
}

fn rand_id() -> u16 {
    rand::random()
}

/// Removes a query's id when it ends, however it ends.
struct Unregister<'a> {
    pending: &'a Pending,
    id: u16,
}

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(&self.id);
    }
}

/// Tell every query waiting on one socket that the server is unreachable. A socket holds one
/// pending error, not one per query, so a refusal stands for all of them.
fn refuse_all(pending: &Pending) {
    let senders: Vec<_> = lock(pending)
        .values_mut()
        .filter_map(Option::take)
        .collect();
    for sender in senders {
        let _ = sender.send(Datagram::Refused);
    }
}

/// Hand each datagram from the server to the query waiting for its id, and "refused" to
/// every waiting query when the socket reports the server unreachable. Ends when the
/// transport is dropped (the next datagram finds no one waiting).
async fn receive(socket: Arc<UdpSocket>, pending: std::sync::Weak<Pending>, server: SocketAddr) {
    let mut buffer = vec![0u8; RECV_BUFFER];
    loop {
        let received = socket.recv_from(&mut buffer).await;
        let Some(pending) = pending.upgrade() else {
            return;
        };
        let (len, from) = match received {
            Ok(received) => received,
            Err(error) => {
                if error.kind() == ErrorKind::ConnectionRefused {
                    refuse_all(&pending);
                } else {
                    // Not a datagram for anyone; do not spin on a socket that keeps failing.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                continue;
            }
        };
        if from != server || len < 12 {
            continue;
        }
        let id = u16::from_be_bytes([buffer[0], buffer[1]]);
        // Take the sender but keep the id reserved: it stays the waiting query's until that
        // query ends (Unregister), so no new query can pick it and lose its sender then.
        let sender = lock(&pending).get_mut(&id).and_then(Option::take);
        if let Some(sender) = sender {
            let _ = sender.send(Datagram::Bytes(buffer[..len].to_vec()));
        }
    }
}

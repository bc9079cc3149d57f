//! Test helpers: a real nats-server with JetStream on a loopback port and a
//! temporary store directory, and a reader that takes a stream's contents.
//!
//! Round-trip tests use the server `ci/test-nats.sh` started (its address in
//! `FUNNELQ_NATS_URL`) or, without it, one of their own; fault tests always
//! start their own, because they stop, freeze and restart it. The binary is
//! `$FUNNELQ_NATS_SERVER` or `nats-server` on the `PATH`.

#![allow(dead_code)] // each test file uses a part of it

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;

/// Every test body runs under this bound.
pub const TEST_BOUND: Duration = Duration::from_secs(60);

/// A nats-server process owned by a test.
pub struct Server {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

fn server_binary() -> String {
    std::env::var("FUNNELQ_NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().unwrap().port()
}

impl Server {
    /// Starts nats-server with JetStream on a free loopback port and a
    /// fresh store directory, and waits until it accepts connections.
    pub fn start() -> Server {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "funnelq-nats-test-{}-{}",
            std::process::id(),
            nuid::next()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Server {
            child: None,
            port,
            dir,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let log = std::fs::File::create(self.dir.join("server.log")).unwrap();
        let child = Command::new(server_binary())
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(self.dir.join("store"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} (install nats-server or set FUNNELQ_NATS_SERVER): {e}",
                    server_binary()
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("server running").id();
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{sig} {pid} failed");
    }

    /// Stops the server with SIGTERM (a clean shutdown) and waits for it.
    pub fn stop(&mut self) {
        self.signal("TERM");
        self.child.take().unwrap().wait().unwrap();
    }

    /// Kills the server with SIGKILL (no shutdown at all) and waits for it.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("server running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Starts the server again on the same port and store.
    pub fn restart(&mut self) {
        self.spawn();
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing is
    /// answered. Returns once every thread of the server has stopped:
    /// `kill` returns as soon as the signal is queued, and Linux wakes one
    /// thread to start the group stop; until that thread is scheduled (late
    /// on a loaded machine) the others keep running and can still answer a
    /// publish sent "after" the freeze.
    pub fn freeze(&self) {
        self.signal("STOP");
        let pid = self.child.as_ref().expect("server running").id();
        let tasks = PathBuf::from(format!("/proc/{pid}/task"));
        if !tasks.is_dir() {
            // No procfs: no way to watch the stop; give it time instead.
            std::thread::sleep(Duration::from_millis(200));
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !all_stopped(&tasks) {
            assert!(
                Instant::now() < deadline,
                "nats-server {pid} did not stop within 10 s of SIGSTOP"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Lets a frozen server run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal("CONT");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-CONT")
                .arg(child.id().to_string())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether every thread under `/proc/<pid>/task` is in state `T` (stopped).
/// The state is the first field after the `(comm)` of each `stat` file.
fn all_stopped(tasks: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(tasks) else {
        return false;
    };
    entries.flatten().all(|task| {
        std::fs::read_to_string(task.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                == Some("T")
        })
    })
}

/// The shared server of `ci/test-nats.sh`, or a private one.
pub enum Shared {
    Url(String),
    Own(Server),
}

impl Shared {
    pub fn get() -> Shared {
        match std::env::var("FUNNELQ_NATS_URL") {
            Ok(url) if !url.is_empty() => Shared::Url(url),
            _ => Shared::Own(Server::start()),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Shared::Url(url) => url.clone(),
            Shared::Own(server) => server.url(),
        }
    }
}

/// A client that keeps reconnecting (the default) and names the test.
pub async fn connect(url: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .name("funnelq-nats-test")
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// A unique name for a stream, consumer or subject token of this test run.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", nuid::next())
}

/// Creates a file-backed stream `name` on `subject` (2-minute duplicate window).
pub async fn create_stream(js: &jetstream::Context, name: &str, subject: &str) -> stream::Stream {
    js.create_stream(stream::Config {
        name: name.to_owned(),
        subjects: vec![subject.to_owned()],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("create stream {name}: {e}"))
}

/// A durable pull consumer with explicit acks and the given ack wait.
pub async fn create_consumer(
    stream: &stream::Stream,
    name: &str,
    ack_wait: Duration,
) -> consumer::PullConsumer {
    stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("create consumer {name}: {e}"))
}

/// One stored message: (stream sequence, payload, Nats-Msg-Id).
pub type Stored = (u64, Vec<u8>, Option<String>);

/// Every message of the stream, in stream order, read through an ephemeral
/// consumer that acks nothing (the stream is left as it is).
pub async fn read_stream(stream: &mut stream::Stream) -> Vec<Stored> {
    let total = stream.info().await.unwrap().state.messages as usize;
    let reader: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config {
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut out = Vec::with_capacity(total);
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < total {
        assert!(
            Instant::now() < deadline,
            "read {} of {total} messages",
            out.len()
        );
        let mut batch = reader
            .batch()
            .max_messages(1000)
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .unwrap();
        while let Some(msg) = batch.next().await {
            let msg = msg.unwrap();
            let seq = msg.info().unwrap().stream_sequence;
            let id = msg
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.as_str().to_owned());
            out.push((seq, msg.payload.to_vec(), id));
        }
    }
    out
}

/// Producer `p`'s `i`-th message: `p:i`.
pub fn payload(p: usize, i: usize) -> String {
    format!("{p}:{i}")
}

/// Checks that `payloads` hold every `p:i` for `p < producers`, `i < per`,
/// each exactly once, in order per producer.
pub fn assert_each_once_in_order<'a>(
    payloads: impl IntoIterator<Item = &'a [u8]>,
    producers: usize,
    per: usize,
) {
    let mut next = vec![0usize; producers];
    let mut count = 0;
    for bytes in payloads {
        let text = std::str::from_utf8(bytes).unwrap();
        let (p, i) = text.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(
            i, next[p],
            "producer {p}: got message {i}, expected {}",
            next[p]
        );
        next[p] += 1;
        count += 1;
    }
    assert_eq!(count, producers * per, "message count");
    assert!(next.iter().all(|&n| n == per), "per producer: {next:?}");
}

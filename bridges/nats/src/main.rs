//! `funnelq-nats`: try the bridges from a shell.
//!
//! ```text
//! funnelq-nats forward --subject SUBJECT [options]   stdin lines -> channel -> JetStream
//! funnelq-nats ingest --stream NAME --consumer NAME [options]   JetStream -> channel -> stdout lines
//! ```
//!
//! Run `funnelq-nats --help` for the options.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use funnelq_nats::{AckMode, Error, Forward, Incoming, Ingest};

const USAGE: &str = "\
usage:
  funnelq-nats forward --subject SUBJECT [options]
      Publishes each line of standard input (without its newline) to SUBJECT,
      through a funnelq channel and a window of in-flight publish acks; at end of
      input waits for every ack, flushes and prints a summary on standard error.
      --stream NAME        create stream NAME on SUBJECT if it does not exist
      --window N           publishes awaiting their ack at once (default 256)
      --batch N            messages received per step (default 64)
      --capacity N         channel capacity (default 1024)
      --ack-timeout MS     wait per ack before a retry (default 5000)
      --retry-for SECS     give up after an outage this long (default 30)
      --id-prefix TEXT     Nats-Msg-Id prefix (default: a fresh NUID)

  funnelq-nats ingest --stream NAME --consumer NAME [options]
      Prints the payload of each message of durable pull consumer NAME (created
      if missing) as a line on standard output.
      --filter SUBJECT     filter subject for a new consumer
      --ack-wait SECS      ack wait for a new consumer (default 30)
      --ack MODE           after-write (default): ack once the line is written and
                           flushed; on-accept: ack once the channel took it
      --capacity N         channel capacity (default 1024)
      --batch N            most messages per pull request (default 256)
      --max N              stop after N messages
      --idle SECS          stop after SECS without a message
      Stops on Ctrl-C or SIGTERM too, handing unsent messages back (-NAK).

  common options:
      --server URL         NATS server (default: $NATS_URL or nats://127.0.0.1:4222)
";

/// A parsed command line.
struct Args {
    command: String,
    options: Vec<(String, String)>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut it = std::env::args().skip(1);
        let command = it.next().ok_or("missing command: forward or ingest")?;
        if command == "--help" || command == "-h" {
            return Ok(Args {
                command,
                options: Vec::new(),
            });
        }
        let mut options = Vec::new();
        while let Some(name) = it.next() {
            let Some(stripped) = name.strip_prefix("--") else {
                return Err(format!("unexpected argument \"{name}\""));
            };
            let value = it
                .next()
                .ok_or_else(|| format!("option --{stripped} needs a value"))?;
            options.push((stripped.to_owned(), value));
        }
        Ok(Args { command, options })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("{} needs --{name}", self.command))
    }

    fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name} \"{v}\" is not a whole number")),
        }
    }

    fn check_known(&self, known: &[&str]) -> Result<(), String> {
        for (name, _) in &self.options {
            if !known.contains(&name.as_str()) && name != "server" {
                return Err(format!("unknown option --{name} for {}", self.command));
            }
        }
        Ok(())
    }
}

/// A failure: a usage mistake (exit 2) or a bridge error (exit 1).
enum Failure {
    Usage(String),
    Bridge(Error),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Usage(s)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            // A bad setting is a usage mistake.
            Error::InvalidArgument { .. } | Error::InvalidName { .. } => {
                Failure::Usage(e.to_string())
            }
            e => Failure::Bridge(e),
        }
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("funnelq-nats: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.command == "--help" || args.command == "-h" {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("funnelq-nats: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match args.command.as_str() {
            "forward" => forward(&args).await,
            "ingest" => ingest(&args).await,
            other => Err(Failure::Usage(format!(
                "unknown command \"{other}\": forward or ingest"
            ))),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("funnelq-nats: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Bridge(err)) => {
            // The error, then each cause, on one line.
            let mut line = format!("funnelq-nats: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                line.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("{line}");
            ExitCode::FAILURE
        }
    }
}

async fn connect(args: &Args) -> Result<async_nats::Client, Error> {
    let url = args
        .get("server")
        .map(str::to_owned)
        .or_else(|| std::env::var("NATS_URL").ok())
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned());
    async_nats::ConnectOptions::new()
        .name("funnelq-nats")
        .connect(url.as_str())
        .await
        .map_err(|e| Error::Connect {
            url,
            source: e.into(),
        })
}

fn capacity(args: &Args) -> Result<usize, Failure> {
    let cap = args.number("capacity", 1024)?;
    if cap == 0 || cap > funnelq::MAX_CAPACITY as u64 {
        return Err(Failure::Usage(format!(
            "--capacity {cap} is out of range 1..={}",
            funnelq::MAX_CAPACITY
        )));
    }
    Ok(cap as usize)
}

async fn forward(args: &Args) -> Result<(), Failure> {
    args.check_known(&[
        "subject",
        "stream",
        "window",
        "batch",
        "capacity",
        "ack-timeout",
        "retry-for",
        "id-prefix",
    ])?;
    let subject = args.required("subject")?.to_owned();
    let mut bridge = Forward::new(subject.clone())
        .window(args.number("window", 256)? as usize)
        .batch(args.number("batch", 64)? as usize)
        .ack_timeout(Duration::from_millis(args.number("ack-timeout", 5000)?))
        .retry_for(Duration::from_secs(args.number("retry-for", 30)?));
    if let Some(prefix) = args.get("id-prefix") {
        bridge = bridge.id_prefix(prefix);
    }
    bridge.validate()?;
    let (tx, mut rx) = funnelq::try_channel::<Vec<u8>>(capacity(args)?)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let client = connect(args).await?;
    if let Some(name) = args.get("stream") {
        jetstream::new(client.clone())
            .get_or_create_stream(stream::Config {
                name: name.to_owned(),
                subjects: vec![subject.clone()],
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Setup {
                what: format!("create stream {name}"),
                source: e.into(),
            })?;
    }

    // Standard input is read on a thread of its own: `send` waits while the
    // channel is full, which is how the broker's pace reaches the reader.
    let closer = tx.closer();
    let reader = std::thread::spawn(move || -> std::io::Result<u64> {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut lines = 0;
        loop {
            let mut line = Vec::new();
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(lines);
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if tx.send(line).is_err() {
                return Ok(lines); // closed by a signal
            }
            lines += 1;
        }
    });
    let stop = tokio::spawn(async move {
        stop_signal().await;
        closer.close();
    });
    let result = bridge.run(&client, &mut rx).await;
    stop.abort();
    let lines = match reader.join() {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => {
            eprintln!("funnelq-nats: reading standard input failed: {e}");
            0
        }
        Err(_) => 0,
    };
    let stats = result?;
    eprintln!(
        "forward: {lines} lines read, {} stored, {} duplicates, {} retries, \
         at most {} in flight, ids {}-N",
        stats.stored, stats.duplicates, stats.retries, stats.max_in_flight, stats.id_prefix
    );
    Ok(())
}

async fn ingest(args: &Args) -> Result<(), Failure> {
    args.check_known(&[
        "stream", "consumer", "filter", "ack-wait", "ack", "capacity", "batch", "max", "idle",
    ])?;
    let stream_name = args.required("stream")?.to_owned();
    let consumer_name = args.required("consumer")?.to_owned();
    let ack_mode = match args.get("ack").unwrap_or("after-write") {
        "after-write" => AckMode::ByReceiver,
        "on-accept" => AckMode::OnAccept,
        other => {
            return Err(Failure::Usage(format!(
                "--ack \"{other}\" is not after-write or on-accept"
            )))
        }
    };
    let max = args.number("max", u64::MAX)?;
    let idle = args
        .get("idle")
        .map(|_| args.number("idle", 0))
        .transpose()?;
    let bridge = Ingest::new()
        .batch(args.number("batch", 256)? as usize)
        .ack_mode(ack_mode)
        .fetch_wait(Duration::from_millis(500));
    bridge.validate()?;
    let (tx, mut rx) = funnelq::try_channel::<Incoming>(capacity(args)?)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let client = connect(args).await?;
    let js = jetstream::new(client.clone());
    let setup = |what: String| {
        move |e: Box<dyn std::error::Error + Send + Sync>| Error::Setup { what, source: e }
    };
    let stream = js
        .get_stream(&stream_name)
        .await
        .map_err(|e| setup(format!("look up stream {stream_name}"))(e.into()))?;
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            &consumer_name,
            consumer::pull::Config {
                durable_name: Some(consumer_name.clone()),
                filter_subject: args.get("filter").unwrap_or_default().to_owned(),
                ack_wait: Duration::from_secs(args.number("ack-wait", 30)?),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| setup(format!("create consumer {consumer_name}"))(e.into()))?;

    // The writer: prints, flushes, then acks (after-write), so a message is
    // acked only once it is on standard output.
    let closer = rx.closer();
    let writer = tokio::spawn(async move {
        let mut written = 0u64;
        let mut ack_failures = 0u64;
        let mut buf = Vec::new();
        let mut failed = None;
        loop {
            let first = match idle {
                Some(secs) => {
                    match tokio::time::timeout(Duration::from_secs(secs), rx.recv_async()).await {
                        Ok(r) => r,
                        Err(_) => break, // idle
                    }
                }
                None => rx.recv_async().await,
            };
            let Ok(first) = first else { break };
            buf.push(first);
            let room = (max - written).saturating_sub(1) as usize;
            let _ = rx.try_recv_batch(&mut buf, room.min(255));
            if !write_lines(&buf) {
                // Standard output is gone: nothing more can be delivered.
                failed = Some("writing standard output failed");
                break;
            }
            for m in buf.drain(..) {
                if let Err(e) = m.ack().await {
                    if ack_failures == 0 {
                        eprintln!("funnelq-nats: {e} (it will be delivered again)");
                    }
                    ack_failures += 1;
                }
                written += 1;
            }
            if written >= max {
                break;
            }
        }
        // Stop the bridge. What is still queued (including a send that was
        // completing as the channel closed) goes back to the stream, or, if
        // the bridge acked it already (on-accept), is printed.
        rx.close();
        let mut rest: Vec<Incoming> = std::mem::take(&mut buf);
        while let Ok(m) = rx.recv_async().await {
            rest.push(m);
        }
        if failed.is_none() && ack_mode == AckMode::OnAccept {
            if write_lines(&rest) {
                written += rest.len() as u64;
            }
        } else {
            for m in rest {
                let _ = m.nak(None).await;
            }
        }
        (written, failed)
    });
    let stop = async {
        tokio::select! {
            _ = stop_signal() => {}
            _ = wait_closed(&closer) => {}
        }
    };
    let result = bridge.run_until(&consumer, &tx, stop).await;
    drop(tx); // the writer drains what is queued, then ends
    let (written, failed) = writer.await.unwrap_or((0, Some("writer panicked")));
    client
        .flush()
        .await
        .map_err(|e| Error::Flush { source: e.into() })?;
    let stats = result?;
    eprintln!(
        "ingest: {written} written, {} accepted ({} redelivered), {} handed back, {} fetches",
        stats.accepted, stats.redelivered, stats.nacked, stats.fetches
    );
    if let Some(msg) = failed {
        return Err(Failure::Usage(msg.to_owned()));
    }
    Ok(())
}

/// Writes each payload and a newline to standard output, then flushes;
/// false if any of it failed.
fn write_lines(messages: &[Incoming]) -> bool {
    let out = std::io::stdout();
    let mut out = out.lock();
    let mut ok = true;
    for m in messages {
        ok = ok && out.write_all(&m.payload).is_ok() && out.write_all(b"\n").is_ok();
    }
    ok && out.flush().is_ok()
}

/// Completes when the channel is closed (the writer is done).
async fn wait_closed<T>(closer: &funnelq::Closer<T>) {
    while !closer.is_closed() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

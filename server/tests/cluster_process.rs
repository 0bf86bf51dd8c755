//! A whole cluster of separate `ferrocket` processes: two name servers, two SYNC_MASTER
//! brokers and their slaves, each with its own data folder, found through the name servers
//! (every port is chosen by the OS). Under load one master is killed with SIGKILL: no send
//! fails after retries, sends go to the other group, every acknowledged message of the dead
//! master is read from its slave, and the name servers drop the dead master. A slave frozen
//! with SIGSTOP makes its master answer FLUSH_SLAVE_TIMEOUT, and SEND_OK again once it runs.
//! Group administration (`admin group create|list|reset-offset`) reaches both masters, and the
//! slaves copy the groups.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocket::client::ClientConfig;
use ferrocket::{Admin, ConsumeFrom, Message, Producer, PullConsumer, SendStatus};

const TOPIC: &str = "ProcLoad";
const WAIT: Duration = Duration::from_secs(30);
const EXPIRY_MS: u64 = 3000;

/// A child process killed (SIGKILL, by its id) when dropped.
struct Node {
    child: Child,
    addr: String,
}

impl Node {
    /// Starts `ferrocket args…` and reads the address from its first stdout line.
    fn spawn(args: &[&str], prefix: &str) -> Node {
        let (child, addr) = common::spawn(args, prefix);
        Node { child, addr }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Whether every thread of the process is stopped (state `T` in `/proc`).
    fn is_stopped(&self) -> bool {
        let tasks = format!("/proc/{}/task", self.child.id());
        let Ok(entries) = std::fs::read_dir(tasks) else {
            return false;
        };
        entries.flatten().all(|task| {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            state.is_some_and(|s| s.starts_with('T') || s.starts_with('t'))
        })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.signal_if_alive("CONT");
        self.kill();
    }
}

impl Node {
    fn signal_if_alive(&mut self, signal: &str) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(self.child.id().to_string())
                .status();
        }
    }
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn broker(dir: &Path, namesrv: &str, name: &str, id: u64) -> Node {
    let data = dir.join(format!("{name}-{id}"));
    let role = if id == 0 { "SYNC_MASTER" } else { "SLAVE" };
    let config = dir.join(format!("{name}-{id}.toml"));
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = {data:?}\ncluster_name = \"ProcCluster\"\n\
         broker_name = \"{name}\"\nbroker_id = {id}\nrole = \"{role}\"\n\
         namesrv_addrs = \"{namesrv}\"\nsegment_size = 16777216\n\
         register_interval_ms = 300\nslave_sync_interval_ms = 300\n\
         replica_fetch_wait_ms = 1000\nslave_timeout_ms = 800\n"
    );
    std::fs::write(&config, text).expect("write broker config");
    let config = config.display().to_string();
    Node::spawn(&["broker", "-c", &config], "ferrocket listening on ")
}

fn client_config(namesrv: &str) -> ClientConfig {
    ClientConfig {
        name_servers: namesrv.parse().unwrap(),
        route_refresh_interval: Duration::from_millis(200),
        ..ClientConfig::default()
    }
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits up to `limit` until every name server routes `TOPIC` as `want` says (broker names
/// with their broker ids).
async fn wait_route(
    namesrv: &[&str],
    limit: Duration,
    want: impl Fn(&[(String, Vec<u64>)]) -> bool,
) {
    for ns in namesrv {
        let admin = Admin::new(client_config(ns));
        wait_until("the route is as expected", limit, || {
            let admin = &admin;
            let want = &want;
            async move {
                let Ok(info) = admin.route(TOPIC).await else {
                    return false;
                };
                let brokers: Vec<(String, Vec<u64>)> = info
                    .addrs
                    .iter()
                    .map(|(name, addrs)| (name.clone(), addrs.keys().copied().collect()))
                    .collect();
                want(&brokers)
            }
        })
        .await;
        admin.close().await;
    }
}

type Acked = Arc<Mutex<Vec<(Instant, String, String)>>>;

/// Sends from two tasks until `stop`; every result must be a SEND_OK (or a failure, recorded).
fn load(producer: &Arc<Producer>, stop: &Arc<AtomicBool>) -> (Acked, Arc<Mutex<Vec<String>>>) {
    let acked: Acked = Arc::default();
    let failed: Arc<Mutex<Vec<String>>> = Arc::default();
    for sender in 0..2 {
        let (producer, stop) = (producer.clone(), stop.clone());
        let (acked, failed) = (acked.clone(), failed.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Acquire) {
                let body = format!("proc-{sender}-{i}");
                i += 1;
                let started = Instant::now();
                match producer.send(Message::new(TOPIC, body.clone())).await {
                    Ok(r) if r.status == SendStatus::SendOk => {
                        acked
                            .lock()
                            .unwrap()
                            .push((started, r.queue.broker_name, body));
                    }
                    Ok(r) => failed
                        .lock()
                        .unwrap()
                        .push(format!("{body}: {:?}", r.status)),
                    Err(e) => failed.lock().unwrap().push(format!("{body}: {e}")),
                }
            }
        });
    }
    (acked, failed)
}

/// Reads `TOPIC` as a new consumer group until every body of `wanted` arrived.
async fn consume_all(namesrv: &str, group: &str, wanted: &BTreeSet<String>) {
    let consumer = PullConsumer::builder()
        .group(group)
        .client_config(client_config(namesrv))
        .consume_from(ConsumeFrom::FirstOffset)
        .long_poll(Duration::from_millis(500))
        .pull_error_backoff(Duration::from_millis(100))
        .master_down_retry(Duration::from_millis(500))
        .build()
        .unwrap();
    consumer.subscribe(TOPIC, "*").await.unwrap();
    consumer.start().await.unwrap();
    let mut got = BTreeSet::new();
    let deadline = Instant::now() + WAIT;
    while !wanted.is_subset(&got) {
        assert!(
            Instant::now() < deadline,
            "consumed {} of {}",
            got.len(),
            wanted.len()
        );
        for m in consumer
            .poll_timeout(Duration::from_millis(200))
            .await
            .unwrap()
        {
            got.insert(String::from_utf8(m.body().to_vec()).unwrap());
        }
    }
    consumer.shutdown().await;
}

/// The processes of the cluster (killed when dropped) and their data folder.
struct Cluster {
    name_servers: Vec<Node>,
    master_a: Node,
    slave_a: Node,
    _master_b: Node,
    slave_b: Node,
    list: String,
    _dir: Dir,
}

impl Cluster {
    /// Two name servers, then broker-a and broker-b, each a SYNC_MASTER with a slave.
    fn start() -> Cluster {
        let dir =
            std::env::temp_dir().join(format!("ferrocket-proc-cluster-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let expiry = EXPIRY_MS.to_string();
        let ns_args = [
            "namesrv",
            "--listen",
            "127.0.0.1:0",
            "--broker-expiry-ms",
            &expiry,
            "--scan-interval-ms",
            "200",
        ];
        let prefix = "ferrocket name server listening on ";
        let name_servers = vec![Node::spawn(&ns_args, prefix), Node::spawn(&ns_args, prefix)];
        let list = name_servers
            .iter()
            .map(|n| n.addr.as_str())
            .collect::<Vec<_>>()
            .join(";");
        Cluster {
            master_a: broker(&dir, &list, "broker-a", 0),
            slave_a: broker(&dir, &list, "broker-a", 1),
            _master_b: broker(&dir, &list, "broker-b", 0),
            slave_b: broker(&dir, &list, "broker-b", 1),
            name_servers,
            list,
            _dir: Dir(dir),
        }
    }

    fn ns_addrs(&self) -> Vec<&str> {
        self.name_servers.iter().map(|n| n.addr.as_str()).collect()
    }

    /// Runs `ferrocket admin -n <name servers> args…` and returns its stdout.
    fn admin(&self, args: &[&str]) -> String {
        match self.try_admin(args) {
            Ok(stdout) => stdout,
            Err(e) => panic!("admin {args:?} failed: {e}"),
        }
    }

    /// Runs `ferrocket admin -n <name servers> args…`: its stdout, or its output as the error
    /// when it fails.
    fn try_admin(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
            .args(["admin", "-n", &self.list])
            .args(args)
            .output()
            .expect("run ferrocket admin");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// `admin group create` and `reset-offset` reach both masters through the name servers,
    /// and both slaves copy the group.
    async fn create_group(&self, group: &str) {
        let created = self.admin(&["group", "create", group, "--max-retries", "5"]);
        assert_eq!(created.matches("created group").count(), 2, "{created}");
        let listed = self.admin(&["group", "list"]);
        let rows = listed.lines().filter(|l| l.starts_with(group)).count();
        assert_eq!(rows, 2, "{listed}");
        for slave in [&self.slave_a, &self.slave_b] {
            wait_until("a slave copied the group", WAIT, || {
                let copied = self
                    .try_admin(&["-b", &slave.addr, "group", "list"])
                    .is_ok_and(|out| out.lines().any(|l| l.starts_with(group)));
                async move { copied }
            })
            .await;
        }
        let reset = self.admin(&[
            "group",
            "reset-offset",
            group,
            "-t",
            TOPIC,
            "--to-time",
            "0",
        ]);
        assert!(
            reset.contains("reset 8 queue(s)")
                && reset.contains("broker-a")
                && reset.contains("broker-b"),
            "{reset}"
        );
    }

    /// Creates the topic on both masters with `ferrocket admin topic create --cluster`, waits
    /// until both name servers route it, and checks what `cluster list`, `topic route` and
    /// `broker status` print.
    async fn create_topic(&self) {
        let created = self.admin(&[
            "topic",
            "create",
            TOPIC,
            "--cluster",
            "ProcCluster",
            "--queues",
            "4",
        ]);
        assert_eq!(created.matches("created topic").count(), 2, "{created}");
        let full =
            |b: &[(String, Vec<u64>)]| b.len() == 2 && b.iter().all(|(_, ids)| ids == &[0, 1]);
        wait_route(&self.ns_addrs(), WAIT, full).await;
        let listed = self.admin(&["cluster", "list"]);
        assert_eq!(listed.matches("ProcCluster").count(), 4, "{listed}");
        assert_eq!(listed.matches("SYNC_MASTER").count(), 2, "{listed}");
        assert_eq!(listed.matches(" SLAVE ").count(), 2, "{listed}");
        let route = self.admin(&["topic", "route", TOPIC]);
        assert!(
            route.contains("broker-a") && route.contains("broker-b"),
            "{route}"
        );
        let status = self.admin(&["broker", "status"]);
        assert_eq!(status.matches("copying from master").count(), 2, "{status}");
    }
}

/// Kills broker-a's master under load; returns the acknowledged sends, the failed ones and
/// when the kill happened, once the name servers dropped the master (within their expiry)
/// and 300 more sends were acknowledged.
async fn kill_master_under_load(
    cluster: &mut Cluster,
    producer: &Arc<Producer>,
) -> (Vec<(Instant, String, String)>, Vec<String>, Instant) {
    let stop = Arc::new(AtomicBool::new(false));
    let (acked, failed) = load(producer, &stop);
    let count = |acked: &Acked| acked.lock().unwrap().len();
    wait_until("300 sends acknowledged", WAIT, || {
        let n = count(&acked);
        async move { n >= 300 }
    })
    .await;
    cluster.master_a.kill();
    let killed_at = Instant::now();
    let before = count(&acked);
    let dropped =
        |b: &[(String, Vec<u64>)]| b.iter().any(|(n, ids)| n == "broker-a" && ids == &[1]);
    wait_route(
        &cluster.ns_addrs(),
        Duration::from_millis(EXPIRY_MS),
        dropped,
    )
    .await;
    wait_until("300 more sends acknowledged", WAIT, || {
        let n = count(&acked);
        async move { n >= before + 300 }
    })
    .await;
    stop.store(true, Ordering::Release);
    // Let the senders' last calls finish.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let acked = acked.lock().unwrap().clone();
    let failed = failed.lock().unwrap().clone();
    (acked, failed, killed_at)
}

/// Two name servers and two SYNC_MASTER/slave groups as processes; group admin reaches both
/// masters; SIGKILL of a master under load loses nothing and stops nothing; SIGSTOP of a slave
/// gives FLUSH_SLAVE_TIMEOUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_cluster_survives_a_master_kill() {
    let mut cluster = Cluster::start();
    cluster.create_topic().await;
    cluster.create_group("proc-cg").await;
    let producer = Arc::new(
        Producer::builder()
            .group("proc-pg")
            .client_config(client_config(&cluster.list))
            .build()
            .unwrap(),
    );
    producer.start().await.unwrap();
    let (acked, failed, killed_at) = kill_master_under_load(&mut cluster, &producer).await;
    assert!(failed.is_empty(), "failed sends: {failed:?}");
    let after: BTreeSet<&str> = acked
        .iter()
        .filter(|(started, _, _)| *started > killed_at)
        .map(|(_, broker, _)| broker.as_str())
        .collect();
    assert_eq!(after, BTreeSet::from(["broker-b"]));
    assert!(acked.iter().filter(|(_, b, _)| b == "broker-a").count() >= 50);
    let wanted: BTreeSet<String> = acked.iter().map(|(_, _, body)| body.clone()).collect();
    consume_all(&cluster.list, "proc-cg", &wanted).await;
    cluster.slave_b.signal("STOP");
    let slave_b = &cluster.slave_b;
    wait_until("the slave is frozen", WAIT, || {
        let stopped = slave_b.is_stopped();
        async move { stopped }
    })
    .await;
    let stalled = producer
        .send(Message::new(TOPIC, "stalled"))
        .await
        .expect("stored");
    assert_eq!(stalled.status, SendStatus::FlushSlaveTimeout);
    cluster.slave_b.signal("CONT");
    let resumed = producer
        .send(Message::new(TOPIC, "resumed"))
        .await
        .expect("stored");
    assert_eq!(resumed.status, SendStatus::SendOk);
    producer.shutdown().await;
}

//! `nkod-server` as a process, tried as an attacker would: a deeply nested SPARQL query, a
//! cross join that never ends (and a client that leaves), a GraphQL query of many aliases
//! while others wait for files, and a symbolic link out of the files directory.
//!
//! A process rather than the library: a stack overflow aborts the whole process, and the
//! test must outlive it to report it.

#[path = "../../nkod-server/tests/common/mod.rs"]
mod common;

use common::testdata;
use opendata_http::client::{Client, Request};
use std::io::{BufRead, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Serve {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(files: &Path, extra: &[&str]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nkod-server"))
        .arg("--snapshot")
        .arg(testdata().join("snapshot.trig"))
        .arg("--files")
        .arg(files)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap();
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("no address in {line:?}"));
    Serve { child, addr }
}

fn alive(server: &mut Serve) -> bool {
    server.child.try_wait().unwrap().is_none()
}

fn sparql(query: &str) -> String {
    let mut target = String::from("/sparql?query=");
    target.extend(url::form_urlencoded::byte_serialize(query.as_bytes()));
    target
}

/// CPU seconds the process has used (utime + stime).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    (fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap()) / 100.0
}

#[test]
fn a_deeply_nested_query_is_refused_not_a_crash() {
    let mut server = serve(&testdata().join("soubory"), &[]);
    let query = format!(
        "SELECT * WHERE {}?s ?p ?o{}",
        "{".repeat(1000),
        "}".repeat(1000)
    );
    assert!(query.len() < 2100);
    let reply = Client::new(server.addr).get(&sparql(&query), &[]);
    assert!(alive(&mut server), "the query killed the server");
    let reply = reply.unwrap();
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("nested"), "{}", reply.text());
    // Also through POST, and for GraphQL.
    let post = Client::new(server.addr)
        .send(
            &Request::post("/sparql", query.into_bytes())
                .header("Content-Type", "application/sparql-query"),
        )
        .unwrap();
    assert_eq!(post.status, 400);
    let graphql = format!("{{{}}}", "datasets { ".repeat(500));
    let reply = Client::new(server.addr)
        .send(
            &Request::post("/graphql", graphql.into_bytes())
                .header("Content-Type", "application/graphql"),
        )
        .unwrap();
    assert_eq!(reply.status, 400);
    assert!(alive(&mut server));
    // A reasonable query still works.
    let ok = Client::new(server.addr)
        .get(&sparql("ASK { { { ?s ?p ?o } } }"), &[])
        .unwrap();
    assert_eq!(ok.status, 200);
}

const CROSS_JOIN: &str = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";
/// Connected through `?p`, so not a product, yet it grows with the fourth power of the
/// triples per predicate.
const HUGE_JOIN: &str = "SELECT * WHERE { ?a ?p ?b . ?c ?p ?d . ?e ?p ?f . ?g ?p ?h }";

#[test]
fn a_cross_join_is_refused_and_a_huge_join_cut_by_the_limits() {
    let mut server = serve(&testdata().join("soubory"), &[]);
    let client = Client::new(server.addr).timeout(Duration::from_secs(60));
    let product = client.get(&sparql(CROSS_JOIN), &[]).expect("an answer");
    assert_eq!(product.status, 400, "{}", product.text());
    assert!(
        product.text().contains("cartesian product"),
        "{}",
        product.text()
    );
    // An answer within the (default, 10 s) limits instead of a query growing forever.
    for query in [HUGE_JOIN.to_owned(), format!("{HUGE_JOIN} ORDER BY ?a")] {
        let start = Instant::now();
        let reply = client
            .get(&sparql(&query), &[])
            .expect("an answer within 60 s");
        assert_eq!(reply.status, 503, "{}", reply.text());
        assert!(reply.text().contains("limit"), "{}", reply.text());
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            start.elapsed()
        );
    }
    assert!(alive(&mut server));
}

#[test]
fn a_query_stops_when_its_client_leaves() {
    let mut server = serve(&testdata().join("soubory"), &[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: x\r\n\r\n",
        sparql(&format!("{HUGE_JOIN} ORDER BY ?a"))
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    drop(stream);
    std::thread::sleep(Duration::from_millis(500));
    let pid = server.child.id();
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_millis(1500));
    let used = cpu_seconds(pid) - before;
    assert!(
        used < 0.3,
        "the server kept working for a gone client: {used} s of CPU in 1.5 s"
    );
    assert!(alive(&mut server));
}

#[test]
fn many_graphql_aliases_are_refused_and_do_not_block_files() {
    let server = serve(&testdata().join("soubory"), &[]);
    let aliases: String = (0..2000)
        .map(|i| format!("a{i}: datasets(limit: 10000) {{ data {{ iri title {{ cs en }} description {{ cs }} distribution {{ iri downloadURL }} }} }} "))
        .collect();
    let query = format!("{{ {aliases} }}");
    let addr = server.addr;
    let heavy: Vec<_> = (0..2)
        .map(|_| {
            let body = query.clone().into_bytes();
            std::thread::spawn(move || {
                Client::new(addr).timeout(Duration::from_secs(60)).send(
                    &Request::post("/graphql", body).header("Content-Type", "application/graphql"),
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let file = Client::new(addr)
        .timeout(Duration::from_secs(10))
        .get("/soubory/szpi-blokovane-weby.csv", &[])
        .expect("a file while GraphQL works");
    assert_eq!(file.status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "the file waited {:?}",
        start.elapsed()
    );
    for h in heavy {
        let reply = h.join().unwrap().unwrap();
        let text: String = reply.text().chars().take(300).collect();
        assert_eq!(reply.status, 400, "{text}");
        assert!(text.contains("fields"), "{text}");
    }
}

#[test]
fn symbolic_links_out_of_the_files_directory_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("soubory");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "top secret").unwrap();
    std::fs::copy(
        testdata().join("soubory/szpi-blokovane-weby.csv"),
        files.join("szpi.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), files.join("leak.csv")).unwrap();
    std::os::unix::fs::symlink(dir.path(), files.join("up")).unwrap();
    std::os::unix::fs::symlink(files.join("szpi.csv"), files.join("alias.csv")).unwrap();
    let server = serve(&files, &[]);
    let client = Client::new(server.addr);
    for target in ["/soubory/leak.csv", "/soubory/up/secret.txt"] {
        let reply = client.get(target, &[]).unwrap();
        assert_eq!(reply.status, 404, "{target}: {}", reply.text());
        assert!(!reply.text().contains("top secret"));
    }
    assert_eq!(client.get("/soubory/alias.csv", &[]).unwrap().status, 200);
    assert_eq!(client.get("/soubory/szpi.csv", &[]).unwrap().status, 200);
}

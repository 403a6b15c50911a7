//! A small blocking HTTP/1.1 client for tests and tasks (feature `client`): it sends the
//! request target byte for byte (no normalisation of `..`), from a chosen source address
//! (`127.0.0.x`), with any header lines — repeated ones included — and reads answers framed
//! by `Content-Length`, chunked encoding or the end of the connection, also several pipelined
//! on one connection.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    close: bool,
}

impl Request {
    /// A request with `method` for `target` (sent as given).
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            close: true,
        }
    }

    /// `GET target`.
    pub fn get(target: &str) -> Self {
        Self::new("GET", target)
    }

    /// `HEAD target`.
    pub fn head(target: &str) -> Self {
        Self::new("HEAD", target)
    }

    /// `POST target` with a body.
    pub fn post(target: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new("POST", target).body(body)
    }

    /// Adds a header line (repeat the name for several lines). A `Host` given here replaces
    /// the default (the server's address, as a browser sends it).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds several header lines.
    #[must_use]
    pub fn headers(mut self, lines: &[(&str, &str)]) -> Self {
        for (name, value) in lines {
            self.headers.push(((*name).to_owned(), (*value).to_owned()));
        }
        self
    }

    /// Sets the body (`Content-Length` is added).
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Keeps the connection open after the answer (no `Connection: close`).
    #[must_use]
    pub fn keep_alive(mut self) -> Self {
        self.close = false;
        self
    }

    /// The request's bytes, with `Host: {host}` unless a `Host` line was given.
    pub fn to_bytes(&self, host: &str) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            out.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if !self.body.is_empty() || self.method == "POST" || self.method == "PUT" {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if self.close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header lines in order (names as sent).
    pub headers: Vec<(String, String)>,
    /// The body (chunked encoding removed, content coding kept).
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
}

impl Client {
    /// A client of the server at `addr` (20 s read timeout).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            source: None,
            timeout: Duration::from_secs(20),
        }
    }

    /// Connects from `source` (e.g. `127.0.0.11`: every 127.0.0.0/8 address is local).
    #[must_use]
    pub fn from_source(mut self, source: IpAddr) -> Self {
        self.source = Some(source);
        self
    }

    /// Read timeout of a connection.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Opens a connection.
    pub fn connect(&self) -> io::Result<Connection> {
        let stream = match self.source {
            None => TcpStream::connect(self.addr)?,
            Some(source) => {
                let socket = socket2::Socket::new(
                    socket2::Domain::for_address(self.addr),
                    socket2::Type::STREAM,
                    None,
                )?;
                socket.bind(&SocketAddr::new(source, 0).into())?;
                socket.connect(&self.addr.into())?;
                socket.into()
            }
        };
        stream.set_read_timeout(Some(self.timeout))?;
        Ok(Connection {
            host: self.addr.to_string(),
            reader: BufReader::new(stream),
        })
    }

    /// Sends one request on a new connection and reads its answer.
    pub fn send(&self, request: &Request) -> io::Result<Reply> {
        let mut conn = self.connect()?;
        conn.send(request)
    }

    /// `GET target` with extra header lines, on a new connection.
    pub fn get(&self, target: &str, headers: &[(&str, &str)]) -> io::Result<Reply> {
        self.send(&Request::get(target).headers(headers))
    }
}

/// `GET target` from `addr` on a new connection (no extra headers).
pub fn get(addr: SocketAddr, target: &str) -> io::Result<Reply> {
    Client::new(addr).get(target, &[])
}

/// One open connection.
#[derive(Debug)]
pub struct Connection {
    host: String,
    reader: BufReader<TcpStream>,
}

impl Connection {
    /// Writes raw bytes (pipelined requests, a partial head, …).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    /// Sends a request and reads its answer.
    pub fn send(&mut self, request: &Request) -> io::Result<Reply> {
        let bytes = request.to_bytes(&self.host);
        self.write_raw(&bytes)?;
        self.read_reply(request.is_head())
    }

    /// Reads the next answer (`head`: it answers a HEAD, so it has no body).
    pub fn read_reply(&mut self, head: bool) -> io::Result<Reply> {
        read_reply(&mut self.reader, head)
    }

    /// Reads until the server closes the connection; `Ok(0)` means it closed with nothing
    /// more to say.
    pub fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        self.reader.read_to_end(out)
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }
}

fn bad(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection closed before an answer",
        ));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| bad("a header line is not UTF-8"))
}

/// Reads one answer from `reader`.
pub fn read_reply(reader: &mut impl BufRead, head: bool) -> io::Result<Reply> {
    let status_line = read_line(reader)?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("not a status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("not a header line: {line:?}")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    if head || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(reply);
    }
    if reply
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            let size_line = read_line(reader)?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad(format!("bad chunk size {size_line:?}")))?;
            if size == 0 {
                // Trailer lines up to the empty line.
                while !read_line(reader)?.is_empty() {}
                break;
            }
            // As much as the chunk says, without trusting its size for an allocation.
            let read = (&mut *reader)
                .take(size as u64)
                .read_to_end(&mut reply.body)?;
            if read != size {
                return Err(bad(format!(
                    "chunk of {size} bytes ended after {read} bytes"
                )));
            }
            read_line(reader)?;
        }
    } else if let Some(len) = reply.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| bad(format!("bad Content-Length {len:?}")))?;
        reply.body.resize(len, 0);
        reader.read_exact(&mut reply.body)?;
    } else {
        reader.read_to_end(&mut reply.body)?;
    }
    Ok(reply)
}

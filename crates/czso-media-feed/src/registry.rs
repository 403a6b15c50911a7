//! The registry of media organisations and their addresses, stored in SQLite.
//!
//! Rules (ČSÚ press release): registration by a deadline, later requests are not accepted;
//! an e-mail and a phone contact; at most 5 production and at most 5 test addresses; ČSÚ may
//! refuse without giving a reason. An address belongs to one organisation at most.

use crate::access::{AccessList, AddressKind, Grant};
use crate::error::{Error, Result};
use crate::time::{parse_prague, prague_local};
use chrono::{DateTime, Utc};
use opendata_csv::{Cell, Column, CsvWriter, Datatype, TableSchema};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;

/// At most this many addresses of each kind per organisation.
pub const MAX_ADDRESSES: usize = 5;

/// State of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for a decision.
    Requested,
    /// Approved: its addresses may reach the server.
    Approved,
    /// Refused (no reason needs to be given).
    Refused,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Refused => "refused",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "refused" => Self::Refused,
            _ => Self::Requested,
        }
    }
}

/// A registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Organisation name.
    pub name: String,
    /// Contact e-mail.
    pub email: String,
    /// Contact phone.
    pub phone: String,
    /// Production addresses (≤ 5).
    pub production: Vec<IpAddr>,
    /// Test addresses (≤ 5), cut off during live processing.
    pub test: Vec<IpAddr>,
}

/// A stored organisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Organisation {
    /// Identifier.
    pub id: i64,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// State.
    pub state: State,
    /// When requested (RFC 3339, UTC).
    pub requested_at: String,
    /// When approved or refused.
    pub decided_at: Option<String>,
    /// Production addresses.
    pub production: Vec<IpAddr>,
    /// Test addresses.
    pub test: Vec<IpAddr>,
}

/// The registry over an open database connection.
#[derive(Debug)]
pub struct Registry {
    conn: Connection,
}

fn check_contact(req: &Request) -> Result<()> {
    if req.name.trim().is_empty() {
        return Err(Error::Registry("the organisation name is empty".into()));
    }
    let email = req.email.trim();
    let valid_email = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.contains(char::is_whitespace);
    if !valid_email {
        return Err(Error::Registry(format!(
            "`{}` is not an e-mail address",
            req.email
        )));
    }
    let digits = req.phone.chars().filter(char::is_ascii_digit).count();
    let allowed = req
        .phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()/".contains(c));
    if !allowed || !(9..=15).contains(&digits) {
        return Err(Error::Registry(format!(
            "`{}` is not a phone number (9–15 digits, optionally +, spaces, dashes)",
            req.phone
        )));
    }
    Ok(())
}

fn check_addresses(kind: AddressKind, list: &[IpAddr]) -> Result<Vec<IpAddr>> {
    if list.len() > MAX_ADDRESSES {
        return Err(Error::Registry(format!(
            "{} {} addresses given; each organisation may register at most {MAX_ADDRESSES}",
            list.len(),
            kind.as_str()
        )));
    }
    let mut out: Vec<IpAddr> = Vec::new();
    for ip in list {
        let ip = ip.to_canonical();
        if ip.is_unspecified() || ip.is_multicast() {
            return Err(Error::Registry(format!("{ip} cannot be a client address")));
        }
        if out.contains(&ip) {
            return Err(Error::Registry(format!("{ip} is listed twice")));
        }
        out.push(ip);
    }
    Ok(out)
}

impl Registry {
    /// Opens the registry in the database at `path` (created if missing).
    pub fn open(path: &std::path::Path) -> Result<Self> {
        Ok(Self {
            conn: crate::store::open_database(path)?,
        })
    }

    /// Sets the registration deadline.
    pub fn set_deadline(&mut self, deadline: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings(key, value) VALUES ('deadline', ?1) \
             ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            params![deadline.to_rfc3339()],
        )?;
        Ok(())
    }

    /// The registration deadline, if set.
    pub fn deadline(&self) -> Result<Option<DateTime<Utc>>> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key='deadline'", [], |r| {
                r.get(0)
            })
            .optional()?;
        v.map(|v| parse_prague(&v)).transpose()
    }

    /// Records a registration request made at `now`.
    ///
    /// Refused with a clear message after the deadline, with more than five addresses of a
    /// kind, or when an address already belongs to another organisation.
    pub fn request(&mut self, req: &Request, now: DateTime<Utc>) -> Result<i64> {
        if let Some(deadline) = self.deadline()?
            && now > deadline
        {
            return Err(Error::Registry(format!(
                "the registration deadline {} (Prague time) has passed; later requests are not accepted",
                prague_local(deadline)
            )));
        }
        check_contact(req)?;
        let production = check_addresses(AddressKind::Production, &req.production)?;
        let test = check_addresses(AddressKind::Test, &req.test)?;
        if let Some(ip) = production.iter().find(|ip| test.contains(ip)) {
            return Err(Error::Registry(format!(
                "{ip} is listed both as production and test"
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT id FROM organisations WHERE name=?1",
                params![req.name.trim()],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Err(Error::Registry(format!(
                "`{}` is already registered",
                req.name.trim()
            )));
        }
        for ip in production.iter().chain(&test) {
            let owner: Option<String> = tx
                .query_row(
                    "SELECT o.name FROM addresses a JOIN organisations o ON o.id=a.organisation WHERE a.address=?1",
                    params![ip.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(owner) = owner {
                return Err(Error::Registry(format!(
                    "{ip} already belongs to `{owner}`"
                )));
            }
        }
        tx.execute(
            "INSERT INTO organisations(name, email, phone, state, requested_at) VALUES (?1,?2,?3,'requested',?4)",
            params![req.name.trim(), req.email.trim(), req.phone.trim(), now.to_rfc3339()],
        )?;
        let id = tx.last_insert_rowid();
        for (kind, list) in [
            (AddressKind::Production, &production),
            (AddressKind::Test, &test),
        ] {
            for ip in list {
                tx.execute(
                    "INSERT INTO addresses(address, organisation, kind) VALUES (?1,?2,?3)",
                    params![ip.to_string(), id, kind.as_str()],
                )?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    fn find(&self, who: &str) -> Result<i64> {
        let by_id = who.parse::<i64>().ok();
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM organisations WHERE id=?1 OR name=?2",
                params![by_id.unwrap_or(-1), who],
                |r| r.get(0),
            )
            .optional()?;
        id.ok_or_else(|| Error::Registry(format!("no organisation `{who}`")))
    }

    fn decide(
        &mut self,
        who: &str,
        state: State,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let id = self.find(who)?;
        self.conn.execute(
            "UPDATE organisations SET state=?1, decided_at=?2, note=?3 WHERE id=?4",
            params![state.as_str(), now.to_rfc3339(), note, id],
        )?;
        Ok(id)
    }

    /// Approves an organisation (by id or exact name).
    pub fn approve(&mut self, who: &str, now: DateTime<Utc>) -> Result<i64> {
        self.decide(who, State::Approved, None, now)
    }

    /// Refuses an organisation; the note is internal and optional.
    pub fn refuse(&mut self, who: &str, note: Option<&str>, now: DateTime<Utc>) -> Result<i64> {
        self.decide(who, State::Refused, note, now)
    }

    /// Every organisation with its addresses, by id.
    pub fn list(&self) -> Result<Vec<Organisation>> {
        let mut addrs: HashMap<i64, (Vec<IpAddr>, Vec<IpAddr>)> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT organisation, address, kind FROM addresses ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (org, addr, kind) = row?;
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| Error::Registry(format!("stored address `{addr}` is unreadable")))?;
            let entry = addrs.entry(org).or_default();
            if kind == "test" {
                entry.1.push(ip);
            } else {
                entry.0.push(ip);
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT id, name, email, phone, state, requested_at, decided_at FROM organisations ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Organisation {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                state: State::parse(&r.get::<_, String>(4)?),
                requested_at: r.get(5)?,
                decided_at: r.get(6)?,
                production: Vec::new(),
                test: Vec::new(),
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let mut org = row?;
            if let Some((p, t)) = addrs.remove(&org.id) {
                org.production = p;
                org.test = t;
            }
            out.push(org);
        }
        Ok(out)
    }

    /// The addresses of approved organisations.
    pub fn access_list(&self) -> Result<AccessList> {
        let mut list = AccessList::default();
        for org in self
            .list()?
            .into_iter()
            .filter(|o| o.state == State::Approved)
        {
            let name: Arc<str> = Arc::from(org.name.as_str());
            for (kind, ips) in [
                (AddressKind::Production, &org.production),
                (AddressKind::Test, &org.test),
            ] {
                for ip in ips {
                    list.insert(
                        *ip,
                        Grant {
                            organisation: org.id,
                            name: Arc::clone(&name),
                            kind,
                        },
                    );
                }
            }
        }
        Ok(list)
    }

    /// SQLite's data version: changes whenever another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The underlying connection (phases share the database).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// The columns of [`write_addresses_csv`].
fn addresses_schema() -> std::result::Result<TableSchema, opendata_csv::SchemaError> {
    TableSchema::builder()
        .column(Column::new("address", "address", Datatype::String).required())
        .column(Column::new("kind", "kind", Datatype::String).required())
        .column(Column::new("organisation_id", "organisation_id", Datatype::Integer).required())
        .column(Column::new("organisation", "organisation", Datatype::String).required())
        .column(Column::new("state", "state", Datatype::String).required())
        .build()
}

/// Every registered address as CSV by the Czech open-data standard (UTF-8, CRLF, quoted where
/// needed, by `opendata-csv`'s writer): `address,kind,organisation_id,organisation,state`, one
/// row per address (production before test, organisations by id), the state as in the JSON
/// export (`requested`, `approved`, `refused`). For the network team's firewall or a review
/// of who polls from where.
///
/// # Errors
/// [`Error::Registry`] naming the row and column when a value cannot be written (an
/// organisation name of spaces only), or when the sink fails.
pub fn write_addresses_csv<W: Write>(organisations: &[Organisation], sink: W) -> Result<W> {
    let export = |e: &dyn std::fmt::Display| Error::Registry(format!("CSV export: {e}"));
    let schema = addresses_schema().map_err(|e| export(&e))?;
    let mut csv = CsvWriter::new(sink, &schema).map_err(|e| export(&e))?;
    for org in organisations {
        for (kind, addresses) in [("production", &org.production), ("test", &org.test)] {
            for address in addresses {
                let address = address.to_string();
                csv.write_row(&[
                    Cell::Text(&address),
                    Cell::Text(kind),
                    Cell::Integer(org.id),
                    // Stored as requested; the standard forbids padding spaces in a value.
                    Cell::Text(org.name.trim()),
                    Cell::Text(org.state.as_str()),
                ])
                .map_err(|e| export(&e))?;
            }
        }
    }
    csv.finish().map_err(|e| export(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry_with_two_organisations() -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let mut registry = Registry::open(&dir.path().join("feed.sqlite")).unwrap();
        let now = Utc::now();
        let request = |name: &str, production: &[&str], test: &[&str]| Request {
            name: name.to_owned(),
            email: "redakce@example.cz".to_owned(),
            phone: "+420 222 000 000".to_owned(),
            production: production.iter().map(|a| a.parse().unwrap()).collect(),
            test: test.iter().map(|a| a.parse().unwrap()).collect(),
        };
        registry
            .request(
                &request(
                    "Deník \"Právo\", a.s.",
                    &["192.0.2.10", "2001:db8::1"],
                    &["198.51.100.7"],
                ),
                now,
            )
            .unwrap();
        registry
            .request(&request("Rádio Západ", &["203.0.113.5"], &[]), now)
            .unwrap();
        registry.approve("Rádio Západ", now).unwrap();
        (dir, registry)
    }

    #[test]
    fn addresses_export_quotes_names_and_ends_rows_with_crlf() {
        let (_dir, registry) = registry_with_two_organisations();
        let csv = write_addresses_csv(&registry.list().unwrap(), Vec::new()).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "address,kind,organisation_id,organisation,state\r\n\
             192.0.2.10,production,1,\"Deník \"\"Právo\"\", a.s.\",requested\r\n\
             2001:db8::1,production,1,\"Deník \"\"Právo\"\", a.s.\",requested\r\n\
             198.51.100.7,test,1,\"Deník \"\"Právo\"\", a.s.\",requested\r\n\
             203.0.113.5,production,2,Rádio Západ,approved\r\n"
        );
    }

    #[test]
    fn addresses_export_is_valid_by_the_czech_standard() {
        let (_dir, registry) = registry_with_two_organisations();
        let csv = write_addresses_csv(&registry.list().unwrap(), Vec::new()).unwrap();
        let (violations, summary) = opendata_csv::validate_bytes(&csv, None);
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(summary.records, 5, "{summary:?}");
    }

    #[test]
    fn empty_registry_exports_the_header_only() {
        let csv = write_addresses_csv(&[], Vec::new()).unwrap();
        assert_eq!(csv, b"address,kind,organisation_id,organisation,state\r\n");
    }
}

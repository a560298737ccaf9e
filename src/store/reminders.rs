//! Reminders: when each suggestion was first seen (escalation counts from
//! then), and every digest delivery: to whom, when, how, which items, and
//! whether it went out. A delivery is recorded with its audit entry in one
//! transaction.

use super::Result;
use super::Store;
use super::audit::append;
use super::epoch::{from_secs, secs};
use super::error::{Doing, Error};
use crate::model::{Suggestion, Time};
use rusqlite::params;
use std::collections::HashMap;

/// When each suggestion (person, entitlement, fingerprint) was first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstSeen(HashMap<(String, String, String), Time>);

impl FirstSeen {
    pub fn of(&self, s: &Suggestion) -> Option<Time> {
        self.0
            .get(&(s.person.clone(), s.entitlement.clone(), s.fingerprint()))
            .copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Accepted by the mail server or the webhook.
    Sent,
    /// Not delivered; its items are sent again by the next run.
    Failed,
    /// Failed earlier, and by the next run nothing of it was left to say.
    Superseded,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Superseded => "superseded",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::Superseded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One recorded attempt to deliver a digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    pub at: Time,
    /// The person the digest was for.
    pub recipient: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// The address, or the webhook's name (never its URL, which may be a secret).
    pub target: String,
    pub subject: String,
    pub status: DeliveryStatus,
    /// 1 for a first try; n for the n-th consecutive try since the last success.
    pub attempt: i64,
    pub error: Option<String>,
    /// The digest items it carried (see `digest::Item::key`).
    pub items: Vec<String>,
}

/// A delivery about to be recorded.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub recipient: String,
    pub channel: String,
    pub target: String,
    pub subject: String,
    /// Why it failed; `None` when it went out.
    pub error: Option<String>,
    pub items: Vec<String>,
}

impl Store {
    /// Records the first time each of `list` is seen (earlier times win).
    pub fn note_seen(&mut self, list: &[Suggestion], now: Time) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare(
                "INSERT INTO suggestion_seen (person, entitlement, fingerprint, first_seen) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (person, entitlement, fingerprint) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)",
            )?;
            for s in list {
                st.execute(params![s.person, s.entitlement, s.fingerprint(), secs(now)])?;
            }
        }
        tx.commit()
            .doing("cannot record when suggestions were seen")?;
        Ok(())
    }

    pub fn first_seen(&self) -> Result<FirstSeen> {
        let mut st = self
            .conn
            .prepare("SELECT person, entitlement, fingerprint, first_seen FROM suggestion_seen")?;
        let rows = st.query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?),
                from_secs(r.get::<_, i64>(3)?),
            ))
        })?;
        Ok(FirstSeen(rows.collect::<rusqlite::Result<_>>()?))
    }

    /// Every delivery (of `recipient`, or everyone's), oldest first, with its items.
    pub fn deliveries(&self, recipient: Option<&str>) -> Result<Vec<Delivery>> {
        let mut st = self.conn.prepare(
            "SELECT id, at, recipient, channel, target, subject, status, attempt, error
             FROM digest_deliveries WHERE ?1 IS NULL OR recipient = ?1 ORDER BY id",
        )?;
        let mut out: Vec<Delivery> = st
            .query_map([recipient], |r| {
                let status: String = r.get(6)?;
                Ok(Delivery {
                    id: r.get(0)?,
                    at: from_secs(r.get(1)?),
                    recipient: r.get(2)?,
                    channel: r.get(3)?,
                    target: r.get(4)?,
                    subject: r.get(5)?,
                    status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
                    attempt: r.get(7)?,
                    error: r.get(8)?,
                    items: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let index: HashMap<i64, usize> = out.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
        let mut st = self
            .conn
            .prepare("SELECT delivery, item FROM digest_items ORDER BY rowid")?;
        let items = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for item in items {
            let (d, key) = item?;
            if let Some(&i) = index.get(&d) {
                out[i].items.push(key);
            }
        }
        Ok(out)
    }

    /// Records one delivery attempt, and its audit entry (`digest`), together.
    pub fn record_delivery(&mut self, new: &NewDelivery, now: Time) -> Result<Delivery> {
        let tx = self.conn.transaction()?;
        let failed_since_success: i64 = tx.query_row(
            "SELECT count(*) FROM digest_deliveries WHERE recipient = ?1 AND status = 'failed'
             AND id > coalesce((SELECT max(id) FROM digest_deliveries WHERE recipient = ?1 AND status = 'sent'), 0)",
            [&new.recipient],
            |r| r.get(0),
        )?;
        let error = new.error.clone();
        let status = match error {
            None => DeliveryStatus::Sent,
            Some(_) => DeliveryStatus::Failed,
        };
        let attempt = failed_since_success + 1;
        tx.execute(
            "INSERT INTO digest_deliveries (at, recipient, channel, target, subject, status, attempt, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                secs(now),
                new.recipient,
                new.channel,
                new.target,
                new.subject,
                status.as_str(),
                attempt,
                error
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut st = tx.prepare("INSERT INTO digest_items (delivery, item) VALUES (?1, ?2)")?;
            for item in &new.items {
                st.execute(params![id, item])?;
            }
        }
        let d = Delivery {
            id,
            at: now,
            recipient: new.recipient.clone(),
            channel: new.channel.clone(),
            target: new.target.clone(),
            subject: new.subject.clone(),
            status,
            attempt,
            error,
            items: new.items.clone(),
        };
        append(
            &tx,
            now,
            &crate::model::Actor::local("steward"),
            "digest",
            &serde_json::json!({
                "delivery": d.id,
                "recipient": d.recipient,
                "channel": d.channel,
                "target": d.target,
                "subject": d.subject,
                "status": d.status.as_str(),
                "attempt": d.attempt,
                "error": d.error,
                "items": d.items,
            }),
        )
        .map_err(Error::audit)?;
        tx.commit().doing("cannot record the digest delivery")?;
        Ok(d)
    }

    /// Marks `recipient`'s failed deliveries since their last success as
    /// superseded (nothing of them is left to say), with an audit entry.
    /// Returns how many.
    pub fn supersede_failed(&mut self, recipient: &str, now: Time) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let ids: Vec<i64> = {
            let mut st = tx.prepare(
                "SELECT id FROM digest_deliveries WHERE recipient = ?1 AND status = 'failed'
                 AND id > coalesce((SELECT max(id) FROM digest_deliveries WHERE recipient = ?1 AND status = 'sent'), 0)
                 ORDER BY id",
            )?;
            st.query_map([recipient], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        if ids.is_empty() {
            return Ok(0);
        }
        for id in &ids {
            tx.execute(
                "UPDATE digest_deliveries SET status = 'superseded' WHERE id = ?1",
                [id],
            )?;
        }
        append(
            &tx,
            now,
            &crate::model::Actor::local("steward"),
            "digest",
            &serde_json::json!({
                "recipient": recipient,
                "status": "superseded",
                "deliveries": ids,
                "why": "nothing of the failed digest is left to say",
            }),
        )
        .map_err(Error::audit)?;
        tx.commit()?;
        Ok(ids.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Reason};

    fn s(person: &str, evidence: &str) -> Suggestion {
        Suggestion {
            kind: Kind::Grant,
            person: person.into(),
            entitlement: "db:read".into(),
            area: "db".into(),
            reason: Reason::Qualifies,
            evidence: evidence.into(),
            rule: Some("r".into()),
        }
    }

    #[test]
    fn first_seen_keeps_the_earliest_time_per_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let t1: Time = "2026-03-01T00:00:00Z".parse().unwrap();
        let t2: Time = "2026-03-05T00:00:00Z".parse().unwrap();
        store.note_seen(&[s("ana", "a")], t2).unwrap();
        store.note_seen(&[s("ana", "a"), s("bo", "b")], t1).unwrap();
        store.note_seen(&[s("ana", "a")], t2).unwrap();
        let seen = store.first_seen().unwrap();
        assert_eq!(seen.of(&s("ana", "a")), Some(t1));
        assert_eq!(seen.of(&s("bo", "b")), Some(t1));
        assert_eq!(seen.of(&s("ana", "changed")), None);
    }

    #[test]
    fn deliveries_count_attempts_and_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("c.db")).unwrap();
        let t: Time = "2026-03-01T00:00:00Z".parse().unwrap();
        let new = |error: Option<&str>| NewDelivery {
            recipient: "priya".into(),
            channel: "email".into(),
            target: "priya@acme.test".into(),
            subject: "s".into(),
            error: error.map(str::to_string),
            items: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            store
                .record_delivery(&new(Some("down")), t)
                .unwrap()
                .attempt,
            1
        );
        assert_eq!(
            store
                .record_delivery(&new(Some("down")), t)
                .unwrap()
                .attempt,
            2
        );
        let ok = store.record_delivery(&new(None), t).unwrap();
        assert_eq!((ok.attempt, ok.status), (3, DeliveryStatus::Sent));
        assert_eq!(
            store.record_delivery(&new(Some("x")), t).unwrap().attempt,
            1
        );
        assert_eq!(store.supersede_failed("priya", t).unwrap(), 1);
        assert_eq!(store.supersede_failed("priya", t).unwrap(), 0);
        let all = store.deliveries(Some("priya")).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[2].items, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(all[3].status, DeliveryStatus::Superseded);
        assert!(store.deliveries(Some("omar")).unwrap().is_empty());
        let audit = store.audit_entries(None).unwrap();
        assert_eq!(audit.len(), 5);
        assert!(audit.iter().all(|e| e.action == "digest"));
        assert_eq!(store.verify_audit().unwrap(), Ok(5));
    }
}

//! The console's card names the nested groups a membership comes through,
//! as `steward why` does (tests/sources_scim.rs shows it against a real
//! SCIM server; here the cache holds such a membership).

#[path = "tui_support.rs"]
mod tui_support;

use tui_support::*;

#[test]
fn the_card_names_the_groups_a_membership_comes_through() {
    let d = demo("priya");
    let db = d.app.db.clone();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let nested = conn
        .execute(
            "UPDATE grants SET through = 'sre -> team-platform -> db-readers'",
            [],
        )
        .unwrap();
    assert!(nested > 0);
    drop(conn);
    let mut app = reopen(&d, "priya", now());
    keys(&mut app, "<Enter>");
    let text = screen(&mut app, 220, 60);
    assert!(text.contains("holds since"), "{text}");
    assert!(
        text.contains(", through sre -> team-platform -> db-readers"),
        "{text}"
    );
}

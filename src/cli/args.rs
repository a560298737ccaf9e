//! The command line, as clap sees it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "steward",
    version,
    about = "A terminal console for the owners of an organization's systems: who should gain access before they need it, and who should lose it.",
    long_about = None,
    after_help = "Start with `steward demo` to try it on a bundled organization.\nWith no command, steward opens the console for the person configured as `me` (or --as)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// With no command: open the console as this person
    #[command(flatten)]
    pub who: AsArg,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The SQLite cache [default: steward.db in the data directory]
    #[arg(long, global = true, env = "STEWARD_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Evaluate at this time instead of the clock (RFC 3339 or YYYY-MM-DD), e.g. 2026-03-02T12:00:00Z
    #[arg(long, global = true, env = "STEWARD_NOW", value_name = "TIME")]
    pub now: Option<String>,
    /// The config file [default: steward.toml in the config directory]
    #[arg(long, global = true, env = "STEWARD_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The data directory (cache and demo) [default: the platform's data dir]
    #[arg(long, global = true, env = "STEWARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where logs are written [default: the platform's cache dir]
    #[arg(long, global = true, env = "STEWARD_LOG_DIR", value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct OrgArg {
    /// Read this org directory directly instead of the cache
    #[arg(long, value_name = "DIR")]
    pub org: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct AsArg {
    /// Act as, or limit to the scope of, this person [default: `me` from the config]
    #[arg(long = "as", env = "STEWARD_AS", value_name = "PERSON")]
    pub as_person: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the bundled demo organization: installed in the data directory the first time, reopened with everything done in it after
    ///
    /// The first run copies the demo into the data directory with its times
    /// shifted to today; later runs reopen it with every decision,
    /// delegation and applied change kept, until --reset. While there is no
    /// steward.toml and no cache of your own, the other commands use the
    /// demo too (`steward suggest --as priya`).
    ///
    /// Examples: steward demo; steward demo --print; steward demo --as marcus; steward demo --reset
    Demo {
        /// Print what each demo owner should look at instead of opening the console
        #[arg(long)]
        print: bool,
        /// Discard the demo and everything done in it (said, with counts) and install a fresh one
        #[arg(long)]
        reset: bool,
        /// Open the console as this demo owner: priya (tech lead, the default), marcus (manager), omar (oncall lead)
        #[arg(long = "as", value_name = "PERSON")]
        persona: Option<String>,
    },
    /// Pull the configured sources (or an org directory) into the cache
    ///
    /// Every `[[source]]` in steward.toml is pulled concurrently; each one is
    /// replaced in one transaction only when it was read whole, and a failing
    /// source keeps its previous data (shown as stale by `status`). A source
    /// that would drop more than half of what it provided of a kind (when it
    /// had at least 10) is held back, its data kept, unless --accept-shrink.
    ///
    /// Examples: steward sync; steward sync --source okta; steward sync --org ./acme-org
    Sync {
        /// The org directory to read instead of the configured sources (see README: the org directory format)
        #[arg(long, value_name = "DIR", conflicts_with = "source")]
        org: Option<PathBuf>,
        /// Only this configured source (repeatable)
        #[arg(long, value_name = "NAME")]
        source: Vec<String>,
        /// Keep a sync even if a source shrinks past its threshold (the drop is real)
        #[arg(long)]
        accept_shrink: bool,
    },
    /// Show what is cached, from where, and when it was synced
    ///
    /// With --as (or `me`), also that person's scope and what waits for them.
    /// Example: steward status --as priya
    Status {
        #[command(flatten)]
        who: AsArg,
    },
    /// Report references to unknown people, teams, rotations, areas, entitlements or courses
    ///
    /// Exits 1 when anything is reported. Example: steward check --org ./acme-org
    Check(OrgArg),
    /// List suggestions: grants to make, grants to revoke, grants to review
    ///
    /// Example: steward suggest --as priya --now 2026-03-02T12:00:00Z --json
    Suggest {
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        who: AsArg,
        /// Print a JSON array of {kind, person, entitlement, area, reason,
        /// evidence, rule}, sorted by area, person, entitlement
        #[arg(long)]
        json: bool,
        /// Include suggestions already decided (dismissed, snoozed, accepted)
        #[arg(long)]
        all: bool,
    },
    /// Explain why a person holds, or should or should not hold, an entitlement
    ///
    /// Example: steward why ana payments-db:read
    Why {
        person: String,
        entitlement: String,
        #[command(flatten)]
        org: OrgArg,
    },
    /// List every rule, whether it counts, and if not, why
    ///
    /// Example: steward rules --json
    Rules {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        json: bool,
    },
    /// Write, change or remove a rule kept in steward (source `steward`)
    ///
    /// Each change checks, at --now, that --as has authority over the rule's
    /// area (owner or active delegate of it or an ancestor) and is audited.
    /// Rules from other sources are read-only here: change them at their source.
    ///
    /// Examples:
    ///   steward rule add --id pay-oncall-read --area payments-db --grant payments-db:read --rotation payments-oncall --trained pci-dss-awareness --only-while-oncall --why "oncall reads the ledger" --as priya
    ///   steward rule edit pay-oncall-read --grant payments-db:read,payments-db:write --as priya
    ///   steward rule edit pay-oncall-read --auto --lead 30m --grace 15m --as priya
    ///   steward rule remove pay-oncall-read --as priya --reason "replaced by pay-oncall-2"
    #[command(verbatim_doc_comment)]
    Rule {
        #[command(subcommand)]
        action: RuleAction,
    },
    /// Record a decision on the current suggestion for PERSON and ENTITLEMENT
    ///
    /// Examples:
    ///   steward decide accept ana payments-db:read --as priya
    ///   steward decide dismiss bo payments-db:admin --as priya --reason "covering for Q2 audit"
    ///   steward decide snooze cy ops:console --as omar --until 2w
    #[command(verbatim_doc_comment)]
    Decide {
        #[arg(value_enum)]
        verdict: VerdictArg,
        person: String,
        entitlement: String,
        #[command(flatten)]
        who: AsArg,
        /// Why (required to dismiss)
        #[arg(long)]
        reason: Option<String>,
        /// Snooze until this time or span (2026-04-01, 3d, 2w)
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
    /// Take back a decision (the latest one of yours, or ID); the audit log keeps both
    ///
    /// An automatic rule's change (ID from `steward audit` or the console)
    /// is undone with --reason: a dismissal of the rule's suggestion, held
    /// until the facts change, that `steward apply` carries out upstream.
    ///
    /// Examples: steward undo --as priya; steward undo 42 --reason "on leave until May" --as priya
    Undo {
        /// The decision to undo
        id: Option<i64>,
        #[command(flatten)]
        who: AsArg,
        /// Why (required to undo an automatic rule's change: it stays undone until the facts change)
        #[arg(long)]
        reason: Option<String>,
    },
    /// List accepted decisions not yet applied, as concrete changes
    ///
    /// Example: steward plan --as priya
    Plan {
        #[command(flatten)]
        who: AsArg,
        #[arg(long)]
        json: bool,
    },
    /// Carry out the plan upstream, idempotently, and record each result
    ///
    /// Example: steward apply --as priya --dry-run
    Apply {
        #[command(flatten)]
        who: AsArg,
        /// Print what would change without changing anything
        #[arg(long)]
        dry_run: bool,
    },
    /// Carry out what automatic rules (`apply = "auto"`) imply now, behind the guards
    ///
    /// Grants each automatic, counting rule's entitlements to everyone who
    /// qualifies and lacks them, and revokes the grants based on it that
    /// nothing justifies any more, through the same path as `apply`; each
    /// change is audited as the rule's, with its author's consent. An area
    /// with more changes at once than its `max_auto_changes` (default 20)
    /// gets none (--release AREA, by someone with authority over it, applies
    /// them); changes resting on a source whose last sync failed wait.
    /// Exit 0: all done (or nothing due); 3: a guard held changes back; 1: an error.
    ///
    /// Examples: steward reconcile --dry-run; steward reconcile; steward reconcile --release payments --as priya
    Reconcile {
        /// Say what would be carried out and what held back; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Carry out the changes max_auto_changes holds back in this area (and below); needs --as with authority over it
        #[arg(long, value_name = "AREA")]
        release: Option<String>,
        #[command(flatten)]
        who: AsArg,
    },
    /// Show, verify, checkpoint or export the audit log
    ///
    /// Examples: steward audit; steward audit verify --checkpoint cp;
    /// steward audit checkpoint --out cp; steward audit signer; steward audit export --jsonl
    Audit {
        #[command(subcommand)]
        action: Option<AuditAction>,
    },
    /// Check steward.toml: every problem, with file and line
    ///
    /// Example: steward config check
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Store or delete a secret in the OS keyring, for `token_keyring` / `password_keyring`
    ///
    /// The secret is read from standard input (without echo on a terminal)
    /// and never printed. Examples:
    ///   steward secret set okta            (then type or paste the token)
    ///   printf %s "$TOKEN" | steward secret set okta
    ///   steward secret delete okta
    Secret {
        #[command(subcommand)]
        action: SecretAction,
    },
    /// Delegate an area's subtree to someone nearer the work
    ///
    /// Example: steward delegate payments-db --to omar --as priya --until 2026-06-30
    Delegate {
        area: String,
        /// Who receives authority over the area and everything below it
        #[arg(long, value_name = "PERSON")]
        to: String,
        #[command(flatten)]
        who: AsArg,
        /// When it ends (a time, a date, or a span like 4w); none means until revoked
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
    },
    /// List delegations: those in your scope, with who gave them and until when
    ///
    /// Example: steward delegations --as priya
    Delegations {
        #[command(flatten)]
        who: AsArg,
    },
    /// End a delegation made in steward (see `steward delegations` for ids)
    ///
    /// Example: steward undelegate 3 --as priya
    Undelegate {
        id: i64,
        #[command(flatten)]
        who: AsArg,
    },
    /// Compose each owner's digest: new suggestions, shifts starting soon, overdue decisions
    ///
    /// Prints the digests; --send delivers them (mail or webhook, per [digest]
    /// in steward.toml) and records each delivery, so the next digest says only
    /// what is new; a failed one is reported and sent again by the next run.
    /// Nothing new means no message.
    ///
    /// Examples: steward digest --as priya; steward digest --all --dry-run; steward sync && steward digest --all --send
    Digest {
        #[command(flatten)]
        who: AsArg,
        /// Every owner (the default when neither --as nor `me` is set)
        #[arg(long)]
        all: bool,
        /// Tell everything that came up since this time (or span: 7d), whatever was sent before
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// text (terminal, plain mail) or markdown (chat, mail clients that render it)
        #[arg(long, default_value = "text", value_parser = ["text", "markdown"])]
        format: String,
        /// Deliver each digest and record it
        #[arg(long)]
        send: bool,
        /// Print what would be sent, to whom and how; send and record nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve steward to a team over SSH: the console and these commands, to
    /// each person as their key or certificate says
    ///
    /// One long-lived process per organization, configured by [serve] in
    /// steward.toml (listen, keys, user_ca, admins). It makes its host key
    /// in the data directory on first start and prints its fingerprint.
    ///
    /// Example: steward serve --listen 0.0.0.0:2222
    Serve {
        /// Listen here instead of [serve] listen (default 127.0.0.1:2222)
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Write a synthetic organization of realistic shape, to try steward at scale
    ///
    /// Example: steward gen --people 10000 --out /tmp/org10k
    Gen {
        #[arg(long, default_value_t = 1000)]
        people: usize,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum RuleAction {
    /// Write a new rule; you become its author
    Add {
        /// A new id, unique across every source
        #[arg(long)]
        id: String,
        #[command(flatten)]
        fields: RuleFields,
        #[command(flatten)]
        who: AsArg,
    },
    /// Change a rule written in steward: only the fields given change, and you become its author
    Edit {
        id: String,
        #[command(flatten)]
        fields: RuleFields,
        #[command(flatten)]
        who: AsArg,
    },
    /// Remove a rule written in steward
    Remove {
        id: String,
        #[command(flatten)]
        who: AsArg,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
}

/// A rule's fields; on `rule add`, --area, --grant, --why and one of --team
/// or --rotation are required.
#[derive(Args, Debug, Clone, Default)]
pub struct RuleFields {
    /// The area whose entitlements it grants (its own or its descendants')
    #[arg(long)]
    pub area: Option<String>,
    /// Entitlement ids, comma-separated
    #[arg(long, value_name = "ENT[,ENT]", value_delimiter = ',')]
    pub grant: Option<Vec<String>>,
    /// Members of this team (and its descendants) qualify
    #[arg(long, value_name = "TEAM", conflicts_with = "rotation")]
    pub team: Option<String>,
    /// Members of this rotation qualify
    #[arg(long, value_name = "ROTATION")]
    pub rotation: Option<String>,
    /// Courses they must have completed and not let lapse, comma-separated ('' for none)
    #[arg(long, value_name = "COURSE[,COURSE]", value_delimiter = ',')]
    pub trained: Option<Vec<String>>,
    /// Only while on shift in the rotation (--only-while-oncall=false to lift it)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub only_while_oncall: Option<bool>,
    /// Why the rule exists, shown with every suggestion it makes
    #[arg(long)]
    pub why: Option<String>,
    /// Carried out by steward (`steward reconcile`) instead of suggested: its grants, and the revokes of its own grants (--auto=false to suggest again)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub auto: Option<bool>,
    /// With --only-while-oncall: grant this long before a shift starts (30m, 1h; 0 for none)
    #[arg(long, value_name = "SPAN")]
    pub lead: Option<String>,
    /// On a rotation: revoke only this long after a shift ends (15m; 0 for none)
    #[arg(long, value_name = "SPAN")]
    pub grace: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum SecretAction {
    /// Read a secret from standard input and store it under NAME
    Set { name: String },
    /// Delete the entry NAME
    Delete { name: String },
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Validate the config (sources, keys, URLs, credentials) and say what is wrong, where; says whether each keyring entry exists, never its value
    Check,
}

#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// The newest entries
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Check the hash chain, and the log against signed checkpoints
    ///
    /// Names the first entry changed, removed, inserted or reordered, and
    /// entries whose wall-clock time goes back more than the allowed skew.
    /// Each checkpoint (given, and every one in [audit] checkpoint_dir) must
    /// be signed by this log's key, and the log must still extend it:
    /// truncation, a rewritten chain, another log in its place and an
    /// altered checkpoint are each named. Exit 1 on any of them.
    Verify {
        /// A checkpoint file (its signature is FILE.sig); repeatable
        #[arg(long = "checkpoint", value_name = "FILE")]
        checkpoints: Vec<PathBuf>,
        /// How far, in seconds, an entry's wall-clock time may go back
        /// [default: [audit] max_skew_secs, or 300]
        #[arg(long, value_name = "SECONDS")]
        max_skew_secs: Option<u64>,
    },
    /// Sign a checkpoint of the log (its size and head hash) with the log's key
    ///
    /// Writes FILE (C2SP checkpoint: origin, size, head) and FILE.sig
    /// (SSHSIG, namespace steward-audit). Keep them where whoever can write
    /// the cache cannot; check with `steward audit verify --checkpoint FILE`
    /// or with OpenSSH alone:
    ///   steward audit signer > allowed_signers
    ///   ssh-keygen -Y verify -f allowed_signers -I steward -n steward-audit -s FILE.sig < FILE
    Checkpoint {
        /// Where to write it [default: a new file in [audit] checkpoint_dir]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print the log's public signing key as an OpenSSH allowed_signers line
    Signer,
    /// Write every entry with its hashes, for an external log store
    Export {
        /// One JSON object per line
        #[arg(long)]
        jsonl: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictArg {
    /// Do what the suggestion says (for a review: keep the grant, renewed by you)
    Accept,
    /// For a review: revoke the grant
    Revoke,
    /// Not doing it; needs --reason; holds until the facts change
    Dismiss,
    /// Not now; needs --until; holds until then or until the facts change
    Snooze,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}

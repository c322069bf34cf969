//! CONFIG_DB reads and the atomic compare-and-apply script.
//!
//! A step is applied by one Lua script, which redis runs atomically: it
//! checks the step's journal record in STATE_DB (a retry after a lost reply
//! finds it and writes nothing), compares every planned-from row and key
//! pattern with the device's current state (any difference refuses the step
//! as drift), checks that every key it writes is a hash or absent (so no
//! command can fail half-way), then writes the rows and the journal record.
//! A device's steps can also run in order in one such script (one round
//! trip for the whole device), each still guarded and journalled on its own.

use std::collections::BTreeMap;

use redis::aio::MultiplexedConnection;
use switchyard_proto::v1::{ChangeSet, Guards};

use crate::changeset::{RedisWrite, writes};
use crate::ops::{Reads, Row, View};

pub use switchyard_proto::names::device_db::{CONFIG_DB, LOCK_KEY, STATE_DB, journal_key};

/// Journal records expire after 30 days; a retry never comes that late.
const JOURNAL_TTL_SECONDS: u64 = 30 * 24 * 3600;

/// A lock outlives its holder by at most a day: a suite terminated without
/// releasing it (not one that is cancelled or fails: those release) blocks
/// the device that long, or until an operator deletes the key.
const LOCK_TTL_SECONDS: u64 = 24 * 3600;

/// Outcome of taking the device lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// Held by us now (newly, or already).
    Acquired {
        /// When our hold began.
        since: String,
    },
    /// Held by another suite.
    Busy {
        /// That suite.
        holder: String,
        /// Since when it holds it.
        since: String,
    },
}

// Built once: a script's SHA is computed when it is made, and EVALSHA
// sends only that after the first call.
static LOCK_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(r"
redis.call('SELECT', ARGV[4])
local holder = redis.call('HGET', ARGV[1], 'suite')
if holder and holder ~= ARGV[2] then return {'busy', holder, redis.call('HGET', ARGV[1], 'since') or ''} end
if not holder then redis.call('HSET', ARGV[1], 'suite', ARGV[2], 'since', ARGV[3]) end
redis.call('EXPIRE', ARGV[1], ARGV[5])
return {'acquired', ARGV[2], redis.call('HGET', ARGV[1], 'since')}
"));
static UNLOCK_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(r"
redis.call('SELECT', ARGV[3])
if redis.call('HGET', ARGV[1], 'suite') == ARGV[2] then redis.call('DEL', ARGV[1]) return 1 end
return 0
"));
static JOURNAL_EXISTS_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new("redis.call('SELECT', ARGV[2]) return redis.call('EXISTS', ARGV[1])"));

/// Takes the device lock for `suite` unless another suite holds it; taking
/// it again for the same suite renews it and keeps its first `since`.
pub async fn lock(conn: &mut MultiplexedConnection, suite: &str, since: &str) -> redis::RedisResult<LockOutcome> {
    let (status, holder, since): (String, String, String) =
        LOCK_SCRIPT.arg(LOCK_KEY).arg(suite).arg(since).arg(STATE_DB).arg(LOCK_TTL_SECONDS).invoke_async(conn).await?;
    Ok(if status == "acquired" { LockOutcome::Acquired { since } } else { LockOutcome::Busy { holder, since } })
}

/// Gives the device lock back if `suite` holds it; returns whether it did.
pub async fn unlock(conn: &mut MultiplexedConnection, suite: &str) -> redis::RedisResult<bool> {
    let released: i64 = UNLOCK_SCRIPT.arg(LOCK_KEY).arg(suite).arg(STATE_DB).invoke_async(conn).await?;
    Ok(released == 1)
}

/// Whether a journal record exists in STATE_DB. The script selects STATE_DB
/// for itself; the connection stays on CONFIG_DB.
pub async fn journal_exists(conn: &mut MultiplexedConnection, journal: &str) -> redis::RedisResult<bool> {
    let n: i64 = JOURNAL_EXISTS_SCRIPT.arg(journal).arg(STATE_DB).invoke_async(conn).await?;
    Ok(n == 1)
}

/// Reads the rows and patterns in `reads` into a [`View`].
pub async fn snapshot(conn: &mut MultiplexedConnection, reads: &Reads) -> redis::RedisResult<View> {
    let mut keys: Vec<String> = reads.keys.iter().cloned().collect();
    for pattern in &reads.patterns {
        let matched: Vec<String> = redis::cmd("KEYS").arg(pattern).query_async(conn).await?;
        keys.extend(matched);
    }
    keys.sort();
    keys.dedup();
    let mut pipe = redis::pipe();
    for k in &keys {
        pipe.hgetall(k);
    }
    let rows: Vec<BTreeMap<String, String>> = if keys.is_empty() { Vec::new() } else { pipe.query_async(conn).await? };
    let view = View::new(keys.into_iter().zip(rows).filter(|(_, r)| !r.is_empty()).collect());
    if reads.state_keys.is_empty() {
        return Ok(view);
    }
    let state_keys: Vec<&String> = reads.state_keys.iter().collect();
    let state: Vec<BTreeMap<String, String>> = ROWS_IN_SCRIPT.arg(STATE_DB).arg(&state_keys).invoke_async(conn).await?;
    Ok(view.with_state(state_keys.into_iter().cloned().zip(state).filter(|(_, r)| !r.is_empty()).collect()))
}

/// Reads rows of another database (STATE_DB, APPL_DB, COUNTERS_DB); the
/// script selects it for itself, the connection stays on CONFIG_DB.
static ROWS_IN_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(r"
redis.call('SELECT', ARGV[1])
local out = {}
for i = 2, #ARGV do out[#out + 1] = redis.call('HGETALL', ARGV[i]) end
return out
"));

/// Reads whole rows of database `db` by key, in order; an absent row is
/// `None` (SONiC's tables are hashes, and redis holds no empty hash).
pub async fn rows_in(conn: &mut MultiplexedConnection, db: u8, keys: &[String]) -> redis::RedisResult<Vec<Option<Row>>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = ROWS_IN_SCRIPT.arg(db).arg(keys).invoke_async(conn).await?;
    Ok(rows.into_iter().map(|r| (!r.is_empty()).then_some(r)).collect())
}

/// The device's health in one script: each CONFIG_DB port with its APPL_DB
/// oper status, each default-VRF BGP neighbor with its STATE_DB state. It
/// reads only keys CONFIG_DB names (KEYS runs on CONFIG_DB alone: APPL_DB
/// may hold a whole routing table), and selects CONFIG_DB again at its end.
static HEALTH_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(r"
redis.call('SELECT', ARGV[1])
local ports = redis.call('KEYS', 'PORT|*')
local neighbors = {}
for _, key in ipairs(redis.call('KEYS', 'BGP_NEIGHBOR|*')) do
  local a, b = string.match(key, '^BGP_NEIGHBOR|([^|]+)|?([^|]*)$')
  if a and b == '' then neighbors[#neighbors + 1] = a
  elseif a == 'default' then neighbors[#neighbors + 1] = b end
end
local out = {}
redis.call('SELECT', ARGV[2])
for _, key in ipairs(ports) do
  local name = string.sub(key, 6)
  out[#out + 1] = 'port'
  out[#out + 1] = name
  out[#out + 1] = redis.call('HGET', 'PORT_TABLE:' .. name, 'oper_status') or 'unknown'
end
redis.call('SELECT', ARGV[3])
for _, address in ipairs(neighbors) do
  out[#out + 1] = 'bgp'
  out[#out + 1] = address
  out[#out + 1] = redis.call('HGET', 'NEIGH_STATE_TABLE|' .. address, 'state') or 'unknown'
end
redis.call('SELECT', ARGV[1])
return out
"));

/// Each port's oper status and each default-VRF BGP neighbor's state, as
/// (`port` or `bgp`, name, state) in no particular order.
pub async fn health(conn: &mut MultiplexedConnection) -> redis::RedisResult<Vec<(String, String, String)>> {
    let flat: Vec<String> = HEALTH_SCRIPT.arg(CONFIG_DB).arg(0).arg(STATE_DB).invoke_async(conn).await?;
    Ok(flat.chunks(3).filter(|c| c.len() == 3).map(|c| (c[0].clone(), c[1].clone(), c[2].clone())).collect())
}

/// Reads whole rows by key; absent rows are absent from the result.
pub async fn rows(conn: &mut MultiplexedConnection, keys: &[String]) -> redis::RedisResult<BTreeMap<String, Row>> {
    let mut pipe = redis::pipe();
    for k in keys {
        pipe.hgetall(k);
    }
    let rows: Vec<Row> = if keys.is_empty() { Vec::new() } else { pipe.query_async(conn).await? };
    Ok(keys.iter().cloned().zip(rows).filter(|(_, r)| !r.is_empty()).collect())
}

/// Outcome of the compare-and-apply script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Rows written, journal recorded.
    Applied,
    /// The journal already held this step: nothing written.
    AlreadyApplied,
    /// Planned-from state differs: nothing written.
    Drift(String),
}

/// One step's compare-and-apply, as a Lua function over the script's
/// arguments (read from the cursor `i`): the step's journal key, the
/// outcome to record, how many arguments follow for this step, then its
/// guarded rows, guarded key patterns and writes. Returns the status
/// (`applied`, `already`, `drift`) and, for drift, what moved. It leaves
/// the cursor at the next step's arguments whatever it returns, so several
/// steps can run in one script.
const STEP_FUNCTION: &str = r#"
local a = ARGV
local i = 1
local function nxt() local v = a[i]; i = i + 1; return v end
local function step(config_db, state_db)
  local journal = nxt(); local outcome = nxt(); local nargs = tonumber(nxt())
  local stop = i + nargs
  redis.call('SELECT', state_db)
  if redis.call('EXISTS', journal) == 1 then i = stop; return 'already', '' end
  redis.call('SELECT', config_db)
  local drift = {}
  local nrows = tonumber(nxt())
  for r = 1, nrows do
    local key = nxt(); local exists = nxt() == '1'; local nf = tonumber(nxt())
    local want = {}
    for f = 1, nf do local k = nxt(); want[k] = nxt() end
    local live = redis.call('HGETALL', key)
    if (#live > 0) ~= exists then
      table.insert(drift, key .. (exists and ' was deleted' or ' was created'))
    elseif #live / 2 ~= nf then
      table.insert(drift, key .. ' fields changed')
    else
      for j = 1, #live, 2 do
        if want[live[j]] ~= live[j + 1] then table.insert(drift, key .. ' field ' .. live[j] .. ' changed'); break end
      end
    end
  end
  local np = tonumber(nxt())
  for p = 1, np do
    local pat = nxt(); local nk = tonumber(nxt()); local want = {}
    for k = 1, nk do want[nxt()] = true end
    local live = redis.call('KEYS', pat)
    local same = #live == nk
    if same then for _, k in ipairs(live) do if not want[k] then same = false; break end end end
    if not same then table.insert(drift, 'rows matching ' .. pat .. ' changed') end
  end
  if #drift > 0 then i = stop; return 'drift', table.concat(drift, '; ') end
  local start = i
  local nw = tonumber(nxt())
  for w = 1, nw do
    local kind = nxt(); local key = nxt(); local n = tonumber(nxt())
    i = i + n
    local t = redis.call('TYPE', key)['ok']
    if t ~= 'hash' and t ~= 'none' then i = stop; return 'drift', key .. ' is a ' .. t .. ', not a row' end
  end
  i = start
  nxt()
  for w = 1, nw do
    local kind = nxt(); local key = nxt(); local n = tonumber(nxt())
    local items = {}
    for j = 1, n do items[j] = nxt() end
    if kind == 'del' then redis.call('DEL', key)
    elseif kind == 'hset' then redis.call('HSET', key, unpack(items))
    elseif kind == 'hdel' then redis.call('HDEL', key, unpack(items)) end
  end
  redis.call('SELECT', state_db)
  redis.call('HSET', journal, 'outcome', outcome)
  redis.call('EXPIRE', journal, JOURNAL_TTL)
  i = stop
  return 'applied', ''
end
local config_db, state_db = nxt(), nxt()
"#;

/// One step: the databases, then the step's arguments.
const ONE_STEP: &str = r"
local status, detail = step(config_db, state_db)
return {status, detail}
";

/// Several steps in order, stopping at the first that drifts: each later
/// step was planned on top of the earlier ones' after-images, so its guards
/// hold only once they are written.
const STEPS_IN_ORDER: &str = r"
local n = tonumber(nxt())
local statuses, details = {}, {}
for k = 1, n do
  local status, detail = step(config_db, state_db)
  statuses[k] = status; details[k] = detail
  if status == 'drift' then break end
end
return {statuses, details}
";

fn script(body: &str) -> redis::Script {
    redis::Script::new(&format!("{STEP_FUNCTION}{body}").replace("JOURNAL_TTL", &JOURNAL_TTL_SECONDS.to_string()))
}

static APPLY_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| script(ONE_STEP));
static APPLY_STEPS_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| script(STEPS_IN_ORDER));

/// One step's arguments for [`STEP_FUNCTION`], after its journal key and
/// outcome: the guarded rows and patterns, then the writes.
fn step_args(guards: &Guards, changes: &ChangeSet) -> Vec<String> {
    let mut args = Vec::new();
    args.push(guards.rows.len().to_string());
    for row in &guards.rows {
        args.extend([row.key.clone(), if row.exists { "1" } else { "0" }.to_string(), row.fields.len().to_string()]);
        for (f, v) in &row.fields {
            args.extend([f.clone(), v.clone()]);
        }
    }
    args.push(guards.patterns.len().to_string());
    for p in &guards.patterns {
        args.extend([p.pattern.clone(), p.keys.len().to_string()]);
        args.extend(p.keys.iter().cloned());
    }
    let writes = writes(changes);
    args.push(writes.len().to_string());
    for w in &writes {
        match w {
            RedisWrite::Del(key) => args.extend(["del".to_string(), key.clone(), "0".to_string()]),
            RedisWrite::Hset(key, pairs) => {
                args.extend(["hset".to_string(), key.clone(), (pairs.len() * 2).to_string()]);
                for (f, v) in pairs {
                    args.extend([f.to_string(), v.to_string()]);
                }
            }
            RedisWrite::Hdel(key, fields) => {
                args.extend(["hdel".to_string(), key.clone(), fields.len().to_string()]);
                args.extend(fields.iter().map(|f| f.to_string()));
            }
        }
    }
    args
}

fn outcome_of(status: &str, detail: String) -> ApplyOutcome {
    match status {
        "applied" => ApplyOutcome::Applied,
        "already" => ApplyOutcome::AlreadyApplied,
        _ => ApplyOutcome::Drift(detail),
    }
}

/// One step for [`apply_in_order`]: its journal key, the outcome to record,
/// what it was planned from and what it writes.
pub struct StepWrite<'a> {
    /// The step's journal key in STATE_DB.
    pub journal: String,
    /// The planned-from rows and patterns.
    pub guards: &'a Guards,
    /// The step's writes.
    pub changes: &'a ChangeSet,
}

/// Applies `steps` in order in one atomic script, each if and only if the
/// device still matches its guards (after the steps before it), each with
/// its own journal record; stops at the first step that drifts. Returns
/// the outcome of each step reached, in order.
pub async fn apply_in_order(conn: &mut MultiplexedConnection, outcome: &str, steps: &[StepWrite<'_>]) -> redis::RedisResult<Vec<ApplyOutcome>> {
    let mut inv = APPLY_STEPS_SCRIPT.prepare_invoke();
    inv.arg(CONFIG_DB).arg(STATE_DB).arg(steps.len());
    for s in steps {
        let args = step_args(s.guards, s.changes);
        inv.arg(&s.journal).arg(outcome).arg(args.len()).arg(args);
    }
    let (statuses, details): (Vec<String>, Vec<String>) = inv.invoke_async(conn).await?;
    Ok(statuses.iter().zip(details.into_iter().chain(std::iter::repeat(String::new()))).map(|(s, d)| outcome_of(s, d)).collect())
}

/// Applies `changes` if and only if the device still matches `guards`,
/// recording `journal` in STATE_DB in the same atomic step.
pub async fn compare_and_apply(
    conn: &mut MultiplexedConnection,
    journal: &str,
    outcome: &str,
    guards: &Guards,
    changes: &ChangeSet,
) -> redis::RedisResult<ApplyOutcome> {
    let args = step_args(guards, changes);
    let mut inv = APPLY_SCRIPT.prepare_invoke();
    inv.arg(CONFIG_DB).arg(STATE_DB).arg(journal).arg(outcome).arg(args.len()).arg(args);
    let (status, detail): (String, String) = inv.invoke_async(conn).await?;
    Ok(outcome_of(&status, detail))
}

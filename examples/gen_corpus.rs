//! Deterministic corpus generator for the cbscan-vs-ripgrep benchmark (`benches/compare.sh`).
//!
//! It writes synthetic Tencent CloudBase logs whose error-code matches are the same under
//! cbscan's rules and under the ripgrep pattern file it prints, so both tools must report
//! identical hit counts. Output is byte-identical on every run: all randomness comes from
//! a xoshiro256** generator seeded with a constant.
//!
//! ```text
//! cargo run --release --example gen_corpus -- patterns    [--catalog F]
//! cargo run --release --example gen_corpus -- realistic   --size BYTES --out FILE [--catalog F] [--stats F]
//! cargo run --release --example gen_corpus -- adversarial --size BYTES --out FILE [--catalog F] [--stats F]
//! cargo run --release --example gen_corpus -- dense       --size BYTES --out FILE [--catalog F] [--stats F]
//! cargo run --release --example gen_corpus -- hits        --size BYTES --out FILE [--catalog F] [--stats F]
//! cargo run --release --example gen_corpus -- wide        --size BYTES --out FILE [--catalog F] [--stats F]
//! cargo run --release --example gen_corpus -- folder --files N --total-size BYTES --out DIR [--catalog F] [--stats F]
//! ```
//!
//! * `patterns` prints a ripgrep `-f` file: string codes as
//!   `(?-u:\b)(?:LONGEST|...)(?-u:\b)` and numeric aliases as `(?-u:\B)-(?:501001|...)(?-u:\b)`.
//! * `realistic`: function-runtime, Cloud Run, access and CLI logs; ~0.5% of lines carry a code.
//! * `adversarial`: every line is packed with identifiers sharing long prefixes with codes;
//!   about one line in 2000 carries a real code.
//! * `dense`: like `realistic`, but 5% of lines carry a code.
//! * `folder`: N small realistic logs under `DIR/hostNN/<service>/app-NNNNN.log`.
//! * `hits` (memory benchmark, `benches/memory.sh`): 90% of lines carry a code, in the
//!   function, Cloud Run and CLI shapes above; some carry three (errCode, errMsg, docs link).
//! * `wide` (memory benchmark): lines of about 30 KB, each a failed batch write listing
//!   about 500 codes, so each line holds about 500 hits.
//!
//! BYTES accepts a plain number or a K/M/G suffix (binary units). `--stats F` writes one JSON
//! line with what was generated (bytes, lines, hit_lines, hits); the same summary goes to
//! stderr. The catalog (default `src/catalog.toml`) is read for `[[code]]` tables with
//! `code = "NAME"` and optional `numeric = [-502001]`; other keys are ignored.
//!
//! The corpora avoid the one place where cbscan and ripgrep disagree by design: an ANSI
//! colour sequence (`ESC[..m`) directly before a code never occurs.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process;

// ---------------------------------------------------------------------------------------
// PRNG: splitmix64 to seed xoshiro256**.

const SEED: u64 = 0x00C1_0DBA_5E5C_A4E5;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut st = seed;
        let mut s = [0u64; 4];
        for v in &mut s {
            *v = splitmix64(&mut st);
        }
        Rng { s }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (multiply-shift; the tiny bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn pick<'a, T: ?Sized>(&mut self, xs: &'a [&'a T]) -> &'a T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------
// Catalog.

#[derive(serde::Deserialize)]
struct CatalogFile {
    #[serde(default)]
    code: Vec<CodeEntry>,
}

#[derive(serde::Deserialize)]
struct CodeEntry {
    /// Absent for a numeric-only entry (`number = -404011`).
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    number: Option<i64>,
    #[serde(default)]
    numeric: Vec<i64>,
}

struct Catalog {
    codes: Vec<String>,
    code_set: HashSet<String>,
    /// (numeric alias, English SDK text) pairs, in catalog order.
    numerics: Vec<(i64, &'static str)>,
    /// Codes that carry a numeric alias, with their first alias.
    codes_with_numeric: Vec<(usize, i64)>,
}

/// English texts that wx-server-sdk prints after each numeric code.
fn numeric_text(n: i64) -> &'static str {
    match n {
        -501001 => "resource system error",
        -501002 => "resource server timeout",
        -501003 => "exceed request limit",
        -501004 => "exceed concurrent request limit",
        -501005 => "invalid env",
        -501006 => "invalid common parameters",
        -501007 => "invalid parameters",
        -501008 => "invalid request source",
        -501009 => "resource not initialized",
        -502001 => "database request fail",
        -502002 => "database invalid command",
        -502003 => "database permission denied",
        -502004 => "database exceed collection limit",
        -502005 => "database collection not exists",
        -503001 => "storage request fail",
        -503002 => "storage permission denied",
        -503003 => "storage file not exists",
        -503004 => "storage invalid sign parameter",
        -504001 => "functions request fail",
        -504002 => "functions execute fail",
        _ => "resource system error",
    }
}

fn load_catalog(path: &Path) -> Catalog {
    let text = fs::read_to_string(path).unwrap_or_else(|e| {
        die(&format!("cannot read catalog {}: {e}", path.display()));
    });
    let file: CatalogFile = toml::from_str(&text).unwrap_or_else(|e| {
        die(&format!("cannot parse catalog {}: {e}", path.display()));
    });
    if file.code.is_empty() {
        die(&format!(
            "catalog {} has no [[code]] tables",
            path.display()
        ));
    }
    let mut codes = Vec::new();
    let mut code_set = HashSet::new();
    let mut numerics = Vec::new();
    let mut seen_num = HashSet::new();
    let mut codes_with_numeric = Vec::new();
    for entry in file.code {
        // A numeric-only entry is searched for as its number, like an alias.
        let Some(code) = entry.code else {
            match entry.number {
                Some(n) if n < 0 => {
                    if seen_num.insert(n) {
                        numerics.push((n, numeric_text(n)));
                    }
                }
                _ => die("catalog entry without a code needs a negative number"),
            }
            continue;
        };
        let code_text = code;
        if code_text.is_empty() || !code_text.bytes().all(is_word) {
            die(&format!(
                "catalog code {:?} is not an ASCII identifier",
                code_text
            ));
        }
        if !code_set.insert(code_text.clone()) {
            continue;
        }
        let idx = codes.len();
        codes.push(code_text);
        for (i, &n) in entry.numeric.iter().enumerate() {
            if n >= 0 {
                die(&format!(
                    "numeric alias {n} of {} is not negative",
                    codes[idx]
                ));
            }
            if i == 0 {
                codes_with_numeric.push((idx, n));
            }
            if seen_num.insert(n) {
                numerics.push((n, numeric_text(n)));
            }
        }
    }
    Catalog {
        codes,
        code_set,
        numerics,
        codes_with_numeric,
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

// ---------------------------------------------------------------------------------------
// `patterns`

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn longest_first(mut v: Vec<String>) -> Vec<String> {
    v.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    v.dedup();
    v
}

fn print_patterns(cat: &Catalog) {
    let codes = longest_first(cat.codes.iter().map(|c| regex_escape(c)).collect());
    let mut out = String::new();
    let _ = writeln!(out, "(?-u:\\b)(?:{})(?-u:\\b)", codes.join("|"));
    if !cat.numerics.is_empty() {
        let nums = longest_first(
            cat.numerics
                .iter()
                .map(|(n, _)| n.unsigned_abs().to_string())
                .collect(),
        );
        let _ = writeln!(out, "(?-u:\\B)-(?:{})(?-u:\\b)", nums.join("|"));
    }
    io::stdout()
        .write_all(out.as_bytes())
        .unwrap_or_else(|e| die(&format!("stdout: {e}")));
}

// ---------------------------------------------------------------------------------------
// Shared vocabulary.

const FUNCS: &[&str] = &[
    "getUser",
    "login",
    "createOrder",
    "payNotify",
    "syncInventory",
    "sendTemplateMsg",
    "uploadAvatar",
    "dailyReport",
    "wxpayCallback",
    "queryOrders",
    "refundOrder",
    "getOpenData",
];
const COLLECTIONS: &[&str] = &[
    "orders",
    "users",
    "products",
    "sessions",
    "coupons",
    "inventory",
    "messages",
    "audit_log",
    "carts",
    "addresses",
];
const SERVICES: &[&str] = &[
    "order-api",
    "user-svc",
    "gateway",
    "notify-worker",
    "admin-web",
];
const ROUTES: &[&str] = &[
    "/api/v1/orders",
    "/api/v1/users/me",
    "/api/v1/products",
    "/api/v1/cart/items",
    "/healthz",
    "/api/v2/coupons/claim",
    "/static/js/app.3f9c1a.js",
    "/api/v1/upload/token",
    "/wxpay/notify",
    "/api/v1/search",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"];
const UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 14; V2227A) AppleWebKit/537.36 Chrome/116.0 Mobile MicroMessenger/8.0.49",
    "node-fetch/1.0",
    "node-fetch/1.0",
    "curl/8.5.0",
    "tcb-cli/2.7.3",
    "Go-http-client/1.1",
    "Go-http-client/1.1",
];
const ENV_IDS: &[&str] = &[
    "prod-4g1xq7b2a1c3d5e",
    "test-9f8e7d6c5b4a3",
    "dev-2b7c91d0e5f6a",
];
const MESSAGES: &[&str] = &[
    "operation failed",
    "permission denied",
    "resource not found",
    "request timed out",
    "invalid argument",
    "quota exceeded, please retry later",
    "service temporarily unavailable",
    "please check your request",
];
const ZH_MESSAGES: &[&str] = &[
    "调用失败",
    "请求超时",
    "权限不足",
    "资源不存在",
    "参数错误",
    "操作失败",
];
const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN"];
const RID_KEYS: &[&str] = &["requestId", "requestID", "RequestId", "request id"];

// ---------------------------------------------------------------------------------------
// Generator state and low-level writers.

struct Gen<W: Write> {
    rng: Rng,
    cat: &'static Catalog,
    out: W,
    line: String,
    /// Milliseconds since the Unix epoch for the running log clock.
    clock_ms: u64,
    rid: String,
    func: &'static str,
    bytes: u64,
    lines: u64,
    body_lines: u64,
    hit_lines: u64,
    hits: u64,
    /// Pending hits for the line being built.
    line_hits: u64,
    near_misses: Vec<String>,
    /// Stop block loops early once this many bytes are written.
    limit: u64,
}

impl<W: Write> Gen<W> {
    fn new(cat: &'static Catalog, seed: u64, out: W) -> Gen<W> {
        Gen {
            rng: Rng::new(seed),
            cat,
            out,
            line: String::with_capacity(1024),
            // 2024-05-14T00:00:00Z plus a seed-dependent offset of up to a week.
            clock_ms: 1_715_644_800_000 + (seed % 604_800) * 1000,
            rid: String::with_capacity(64),
            func: FUNCS[0],
            bytes: 0,
            lines: 0,
            body_lines: 0,
            hit_lines: 0,
            hits: 0,
            line_hits: 0,
            near_misses: Vec::new(),
            limit: u64::MAX,
        }
    }

    fn emit(&mut self) {
        self.line.push('\n');
        if let Err(e) = self.out.write_all(self.line.as_bytes()) {
            die(&format!("write failed: {e}"));
        }
        self.bytes += self.line.len() as u64;
        self.lines += 1;
        if self.line_hits > 0 {
            self.hit_lines += 1;
            self.hits += self.line_hits;
            self.line_hits = 0;
        }
        self.line.clear();
    }

    fn tick(&mut self, max_ms: u64) {
        self.clock_ms += self.rng.below(max_ms + 1);
    }

    fn push_iso(&mut self) {
        let (y, mo, d, h, mi, s, ms) = civil(self.clock_ms);
        let _ = write!(
            self.line,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z"
        );
    }

    fn push_cli_ts(&mut self) {
        let (y, mo, d, h, mi, s, _) = civil(self.clock_ms + 8 * 3_600_000);
        let _ = write!(self.line, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
    }

    fn push_access_ts(&mut self) {
        const MON: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (y, mo, d, h, mi, s, _) = civil(self.clock_ms + 8 * 3_600_000);
        let _ = write!(
            self.line,
            "{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0800",
            MON[mo as usize - 1]
        );
    }

    fn push_hex(&mut self, v: u64, digits: u32) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for i in (0..digits).rev() {
            self.line.push(HEX[((v >> (i * 4)) & 0xf) as usize] as char);
        }
    }

    /// A new request id: mostly v4 UUIDs, sometimes the newer `19c6caaf4fd_e3-19c6caaf535_c` form.
    fn new_rid(&mut self) {
        let saved = std::mem::take(&mut self.line);
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        if self.rng.below(5) == 0 {
            self.push_hex(a >> 20, 11);
            self.line.push('_');
            self.push_hex(b, 2);
            self.line.push('-');
            self.push_hex(a & 0xfffff, 5);
            self.push_hex(b >> 40, 6);
            self.line.push('_');
            self.push_hex(b >> 8, 1);
        } else {
            self.push_hex(a >> 32, 8);
            self.line.push('-');
            self.push_hex(a >> 16, 4);
            self.line.push_str("-4");
            self.push_hex(a, 3);
            self.line.push('-');
            self.push_hex(8 | (b >> 62), 1);
            self.push_hex(b >> 48, 3);
            self.line.push('-');
            self.push_hex(b, 12);
        }
        self.rid.clear();
        self.rid.push_str(&self.line);
        self.line = saved;
    }

    fn push_rid(&mut self) {
        self.line.push_str(&self.rid);
    }

    fn push_num(&mut self, lo: u64, hi: u64) {
        let n = self.rng.range(lo, hi);
        let _ = write!(self.line, "{n}");
    }

    fn push_ms(&mut self) {
        let n = self.rng.range(1, 4000);
        let _ = write!(self.line, "{}.{}ms", n / 10, n % 10);
    }

    fn push_pick(&mut self, xs: &'static [&'static str]) {
        let s = self.rng.pick(xs);
        self.line.push_str(s);
    }

    fn pick_code(&mut self) -> &'static str {
        let cat = self.cat;
        &cat.codes[self.rng.below(cat.codes.len() as u64) as usize]
    }

    /// Push a real string code and count it.
    fn push_code(&mut self, code: &str) {
        self.line.push_str(code);
        self.line_hits += 1;
    }

    /// Push a real numeric alias with its SDK text (`-502005 database collection not exists`).
    fn push_numeric(&mut self, n: i64, with_text: bool) {
        let _ = write!(self.line, "{n}");
        self.line_hits += 1;
        if with_text {
            self.line.push(' ');
            self.line.push_str(numeric_text(n));
        }
    }

    fn pick_numeric(&mut self) -> i64 {
        let cat = self.cat;
        cat.numerics[self.rng.below(cat.numerics.len() as u64) as usize].0
    }

    fn node_prefix(&mut self, level: &str) {
        self.push_iso();
        self.line.push('\t');
        self.push_rid();
        self.line.push('\t');
        self.line.push_str(level);
        self.line.push('\t');
    }

    /// Adaptive decision: should the next eligible line carry a code, so that about
    /// `rate` of *all* lines do?
    fn want_hit(&mut self, rate: f64) -> bool {
        self.body_lines += 1;
        let p = rate * (self.lines + 1) as f64 / self.body_lines as f64;
        self.rng.chance(p.min(1.0))
    }
}

/// Milliseconds since the epoch to (year, month, day, hour, minute, second, millisecond).
fn civil(ms: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, ms % 1000)
}

// ---------------------------------------------------------------------------------------
// Realistic lines.

impl<W: Write> Gen<W> {
    /// Write realistic logs until at least `size` bytes; `rate` = fraction of lines with a code.
    fn realistic(&mut self, size: u64, rate: f64) {
        self.limit = size;
        while self.bytes < size {
            match self.rng.below(100) {
                0..=54 => self.function_block(rate),
                55..=69 => self.cloudrun_block(rate),
                70..=84 => self.access_block(),
                _ => self.cli_block(rate),
            }
        }
    }

    /// One cloud-function invocation: START, body lines, END, Report.
    fn function_block(&mut self, rate: f64) {
        self.new_rid();
        self.func = self.rng.pick(FUNCS);
        self.tick(3000);
        self.push_iso();
        self.line.push_str(" START RequestId:");
        self.push_rid();
        self.emit();
        let n = self.rng.range(2, 12);
        for _ in 0..n {
            if self.bytes >= self.limit {
                break;
            }
            self.tick(40);
            if self.want_hit(rate) {
                self.function_hit_line();
                let frames = self.rng.below(4);
                for _ in 0..frames {
                    self.stack_frame();
                }
            } else {
                self.function_noise_line();
            }
        }
        self.tick(20);
        self.push_iso();
        self.line.push_str(" END RequestId:");
        self.push_rid();
        self.emit();
        self.push_iso();
        self.line.push_str(" Report RequestId:");
        if self.rng.below(2) == 0 {
            self.line.push(' ');
        }
        self.push_rid();
        self.line.push_str(" Duration:");
        self.push_ms();
        self.line.push_str(" Memory:");
        self.push_pick(&["128", "256", "256", "512", "1024"]);
        self.line.push_str("MB MaxMemoryUsed:");
        self.push_num(18, 120);
        self.line.push_str("MB");
        self.emit();
    }

    fn stack_frame(&mut self) {
        self.line.push_str("    at ");
        match self.rng.below(4) {
            0 => self.line.push_str("Object.callFunction (/var/user/node_modules/@cloudbase/node-sdk/lib/functions/index.js:"),
            1 => self.line.push_str("DocumentReference.get (/var/user/node_modules/wx-server-sdk/index.js:"),
            2 => {
                self.line.push_str("exports.main (/var/user/");
                self.line.push_str(self.func);
                self.line.push_str("/index.js:");
            }
            _ => self.line.push_str("processTicksAndRejections (node:internal/process/task_queues:"),
        }
        self.push_num(2, 400);
        self.line.push(':');
        self.push_num(1, 60);
        self.line.push(')');
        self.emit();
    }

    fn function_noise_line(&mut self) {
        let level = self.rng.pick(LEVELS);
        self.node_prefix(level);
        match self.rng.below(30) {
            16 | 17 | 24 | 25 | 26 => {
                self.line.push_str("result: ");
                self.push_num(0, 5000);
            }
            18 => {
                self.line.push_str("cold start, init took ");
                self.push_num(40, 900);
                self.line.push_str("ms");
            }
            19 | 20 | 27 | 28 | 29 => {
                self.line.push_str("loaded ");
                self.push_num(0, 200);
                self.line.push_str(" records from ");
                self.push_pick(COLLECTIONS);
            }
            21 => {
                self.line.push_str("handler ");
                self.line.push_str(self.func);
                self.line.push_str(" invoked");
            }
            22 => self.line.push_str("ok"),
            23 => {
                self.line.push_str("openid=oAbC");
                let v = self.rng.next_u64();
                self.push_hex(v, 12);
                self.line.push_str(" page=");
                self.push_num(1, 30);
            }
            0 => {
                self.line.push_str("query collection \"");
                self.push_pick(COLLECTIONS);
                self.line
                    .push_str("\" where {status: \"paid\"} orderBy createTime desc limit ");
                self.push_num(1, 100);
                self.line.push_str(" took ");
                self.push_num(2, 300);
                self.line.push_str("ms");
            }
            1 => {
                self.line.push_str("SERVER ready, FUNCTION_NAME=");
                self.line.push_str(self.func);
                self.line
                    .push_str(" TENCENTCLOUD_RUNENV=SCF SCF_NAMESPACE=");
                self.push_pick(ENV_IDS);
            }
            2 => {
                self.line.push_str("DATABASE pool size=");
                self.push_num(4, 32);
                self.line.push_str(" idle=");
                self.push_num(0, 4);
                self.line.push_str(", DATABASE_TIMEOUT_MS=");
                self.push_pick(&["3000", "5000", "10000"]);
                self.line.push_str(" database_timeout=");
                self.push_num(1, 30);
                self.line.push('s');
            }
            3 => {
                self.line
                    .push_str("retry policy FUNCTION_EXECUTE_FAILED -> backoff ");
                self.push_num(100, 900);
                self.line.push_str("ms (attempt ");
                self.push_num(1, 3);
                self.line.push_str("/3), legacy handler v2-503003 disabled");
            }
            4 => {
                self.line.push_str("upload STORAGE object cloud://");
                self.push_pick(ENV_IDS);
                self.line.push_str(".7072-prod-1301234567/avatars/u_");
                self.push_num(1000, 99999);
                self.line.push_str(".png size=");
                self.push_num(1000, 900_000);
            }
            5 => {
                self.line.push_str("AUTH token refreshed for openid o");
                let v = self.rng.next_u64();
                self.push_hex(v, 12);
                self.line
                    .push_str(", ACCESS scope=snsapi_base expires_in=7200");
            }
            6 => {
                self.line.push_str("INVALID input ignored: field \"");
                self.push_pick(&["age", "phone", "address", "nickName", "quantity"]);
                self.line.push_str("\" expected ");
                self.push_pick(&["number", "string", "object"]);
                self.line.push_str(", got null (OBJECT keys=");
                self.push_num(1, 20);
                self.line.push(')');
            }
            7 => {
                self.line
                    .push_str("wx.cloud.callFunction success: {\"result\":{\"ok\":true,\"count\":");
                self.push_num(0, 500);
                self.line
                    .push_str("},\"errMsg\":\"cloud.callFunction:ok\"}");
            }
            8 => {
                self.line.push_str("errCode: 0 | errMsg: collection.");
                self.push_pick(&["get", "add", "update", "remove", "count"]);
                self.line.push_str(":ok, stats={\"updated\":");
                self.push_num(0, 9);
                self.line.push('}');
            }
            9 => {
                self.line.push_str("SERVICE ");
                self.push_pick(SERVICES);
                self.line.push_str(" responded 200 in ");
                self.push_num(3, 800);
                self.line
                    .push_str("ms, sequence offset -5020051, prev errCode -404011");
            }
            10 => {
                self.line.push_str("event {\"userInfo\":{\"appId\":\"wx");
                let v = self.rng.next_u64();
                self.push_hex(v, 16);
                self.line.push_str("\",\"openId\":\"oAbC");
                let v = self.rng.next_u64();
                self.push_hex(v, 12);
                self.line.push_str("\"},\"action\":\"");
                self.push_pick(&["list", "detail", "create", "cancel"]);
                self.line.push_str("\"}");
            }
            11 => {
                self.line.push_str("db.collection('");
                self.push_pick(COLLECTIONS);
                self.line.push_str("').doc('");
                let v = self.rng.next_u64();
                self.push_hex(v, 16);
                self.line.push_str(
                    "').update({ data: { status: 'shipped', updatedAt: db.serverDate() } })",
                );
            }
            12 => {
                self.line.push_str("cache miss key=order:");
                self.push_num(100_000, 999_999);
                self.line
                    .push_str(" -> loading from DATABASE (FUNCTIONS_EXECUTE_NAME=");
                self.line.push_str(self.func);
                self.line.push(')');
            }
            13 => {
                self.line.push_str("template message sent to ");
                self.push_num(1, 40);
                self.line.push_str(" users, errcode=0 errmsg=ok msgid=");
                self.push_num(1_000_000_000, 9_999_999_999);
            }
            14 => {
                self.line
                    .push_str("cloud.getTempFileURL ok, STORAGE_FILE_PATH=avatars/");
                self.push_num(1, 9999);
                self.line.push_str(".jpg maxAge=");
                self.push_num(60, 86400);
            }
            _ => {
                self.line
                    .push_str("SYS_ERR_COUNT=0 SERVER_TIMEOUT_SECONDS=");
                self.push_num(3, 60);
                self.line
                    .push_str(" INVALID_ACCESS_TOKENS=0 database_permission_denied=false");
            }
        }
        self.emit();
    }

    fn function_hit_line(&mut self) {
        self.node_prefix("ERROR");
        let cat = self.cat;
        let numeric_ok = !cat.codes_with_numeric.is_empty();
        let form = self.rng.below(if numeric_ok { 11 } else { 7 });
        match form {
            0 => {
                let code = self.pick_code();
                self.line.push_str("{\"code\":\"");
                self.push_code(code);
                self.line.push_str("\",\"message\":\"");
                self.push_pick(MESSAGES);
                self.line.push_str("\",\"requestId\":\"");
                self.push_rid();
                self.line.push_str("\"}");
            }
            1 => {
                let code = self.pick_code();
                self.line.push_str("Error: { code: '");
                self.push_code(code);
                self.line.push_str("', message: '");
                self.push_pick(MESSAGES);
                self.line.push_str("', requestId: '");
                self.push_rid();
                self.line.push_str("' }");
            }
            2 => {
                let code = self.pick_code();
                self.line
                    .push_str("{\"code\":\"OPERATION_FAIL\",\"message\":\"[");
                self.push_code(code);
                self.line.push_str("] Error: ");
                self.push_pick(MESSAGES);
                self.line.push_str("\"}");
            }
            3 => {
                let code = self.pick_code();
                self.line.push('[');
                self.push_code(code);
                self.line.push_str("] Error: ");
                self.push_pick(MESSAGES);
                self.line.push_str(" (");
                let key = self.rng.pick(RID_KEYS);
                self.line.push_str(key);
                self.line.push_str(": ");
                self.push_rid();
                self.line.push(')');
            }
            4 => {
                let code = self.pick_code();
                self.push_pick(ZH_MESSAGES);
                self.line.push('，');
                self.push_pick(MESSAGES);
                self.line
                    .push_str("。更多错误信息请访问：https://docs.cloudbase.net/error-code/basic/");
                self.push_code(code);
            }
            5 => {
                let code = self.pick_code();
                self.line.push_str("云函数");
                self.line.push_str(self.func);
                self.push_pick(ZH_MESSAGES);
                self.line.push_str("，错误码");
                self.push_code(code);
                self.line.push_str("，请稍后重试");
            }
            6 => {
                let code = self.pick_code();
                self.line.push_str("tcb request failed code=");
                self.push_code(code);
                self.line.push_str(" env=");
                self.push_pick(ENV_IDS);
                self.line.push_str(" latency=");
                self.push_num(5, 9000);
                self.line.push_str("ms");
            }
            7 => {
                let n = self.pick_numeric();
                self.line.push_str("Error: errCode: ");
                self.push_numeric(n, true);
                self.line.push_str(" | errMsg: ");
                self.push_pick(&[
                    "[ResourceNotFound] Db or Table not exist. Please check your request.",
                    "Permission denied",
                    "cloud function execution error",
                    "storage file not exists",
                    "request timeout",
                ]);
            }
            8 => {
                let n = self.pick_numeric();
                self.line.push_str("cloud.callFunction:fail ");
                self.push_numeric(n, true);
                self.line.push_str(". Error: errCode: ");
                let m = self.pick_numeric();
                self.push_numeric(m, true);
                self.line.push_str(" | errMsg: ");
                self.push_pick(MESSAGES);
            }
            9 => {
                let n = self.pick_numeric();
                self.line.push_str("{\"errCode\":");
                self.push_numeric(n, false);
                self.line.push_str(",\"errMsg\":\"collection.");
                self.push_pick(&["get", "add", "update", "where.get"]);
                self.line.push_str(":fail ");
                self.push_numeric(n, true);
                self.line.push_str(". \"}");
            }
            _ => {
                // Numeric alias and its string code on one line.
                let i = self.rng.below(cat.codes_with_numeric.len() as u64) as usize;
                let (ci, n) = cat.codes_with_numeric[i];
                self.line.push_str("wx.cloud.database:fail ");
                self.push_numeric(n, true);
                self.line.push_str(" (");
                self.push_code(&cat.codes[ci]);
                self.line.push(')');
            }
        }
        self.emit();
    }

    /// Cloud Run service: structured JSON logs.
    fn cloudrun_block(&mut self, rate: f64) {
        let svc = self.rng.pick(SERVICES);
        let n = self.rng.range(3, 10);
        for _ in 0..n {
            if self.bytes >= self.limit {
                break;
            }
            self.tick(200);
            self.new_rid();
            let hit = self.want_hit(rate);
            self.line.push_str("{\"level\":\"");
            self.line.push_str(if hit {
                "error"
            } else {
                self.rng.pick(&["info", "info", "debug", "warn"])
            });
            self.line.push_str("\",\"time\":\"");
            self.push_iso();
            self.line.push_str("\",\"service\":\"");
            self.line.push_str(svc);
            self.line.push_str("\",\"msg\":\"");
            if hit {
                let code = self.pick_code();
                if self.rng.below(2) == 0 {
                    self.line.push_str("tcb call failed\",\"code\":\"");
                    self.push_code(code);
                    self.line.push_str("\",\"");
                } else {
                    self.line.push_str("upstream error: [");
                    self.push_code(code);
                    self.line.push_str("] ");
                    self.push_pick(MESSAGES);
                    self.line.push_str("\",\"");
                }
                let key = self.rng.pick(&["requestId", "requestID", "RequestId"]);
                self.line.push_str(key);
            } else {
                self.push_pick(METHODS);
                self.line.push(' ');
                self.push_pick(ROUTES);
                self.line.push(' ');
                self.push_pick(&["200", "200", "200", "201", "204", "304", "404"]);
                self.line.push(' ');
                self.push_num(1, 900);
                self.line.push_str("ms\",\"");
                if self.rng.below(4) == 0 {
                    self.line.push_str("SERVICE_VERSION\":\"");
                    self.line.push_str(svc);
                    self.line.push_str("-0");
                    self.push_num(10, 99);
                    self.line.push_str("\",\"");
                }
                self.line.push_str("traceId");
            }
            self.line.push_str("\":\"");
            self.push_rid();
            self.line.push_str("\"}");
            self.emit();
        }
    }

    /// Nginx-style access log lines in front of a Cloud Run service (never carry codes).
    fn access_block(&mut self) {
        let n = self.rng.range(2, 8);
        for _ in 0..n {
            if self.bytes >= self.limit {
                break;
            }
            self.tick(150);
            let _ = write!(
                self.line,
                "172.16.{}.{} - - [",
                self.rng.below(8),
                self.rng.range(2, 254)
            );
            self.push_access_ts();
            self.line.push_str("] \"");
            self.push_pick(METHODS);
            self.line.push(' ');
            self.push_pick(ROUTES);
            if self.rng.below(3) == 0 {
                self.line.push_str("?page=");
                self.push_num(1, 20);
            }
            self.line.push_str(" HTTP/1.1\" ");
            self.push_pick(&["200", "200", "200", "200", "304", "404", "502"]);
            self.line.push(' ');
            self.push_num(50, 40_000);
            self.line.push_str(" \"-\" \"");
            self.push_pick(UAS);
            self.line.push_str("\" ");
            let t = self.rng.range(1, 2000);
            let _ = write!(self.line, "{}.{:03}", t / 1000, t % 1000);
            self.emit();
        }
    }

    /// tcb CLI / CI deploy output with `YYYY-MM-DD HH:MM:SS` timestamps.
    fn cli_block(&mut self, rate: f64) {
        let n = self.rng.range(2, 8);
        for _ in 0..n {
            if self.bytes >= self.limit {
                break;
            }
            self.tick(1500);
            let hit = self.want_hit(rate);
            self.push_cli_ts();
            if hit {
                self.line.push_str(" [error] ");
                let code = self.pick_code();
                match self.rng.below(4) {
                    0 => {
                        self.line.push_str("✖ 部署失败：[");
                        self.push_code(code);
                        self.line.push_str("] ");
                        self.push_pick(ZH_MESSAGES);
                    }
                    1 => {
                        self.line.push_str("deploy function ");
                        self.line.push_str(self.rng.pick(FUNCS));
                        self.line.push_str(" failed: \"");
                        self.push_code(code);
                        self.line.push_str("\" - ");
                        self.push_pick(MESSAGES);
                    }
                    2 => {
                        self.line.push_str("GET https://");
                        self.push_pick(ENV_IDS);
                        self.line.push_str(".service.tcloudbase.com/error?code=");
                        self.push_code(code);
                        self.line.push_str("&env=");
                        self.push_pick(ENV_IDS);
                    }
                    _ => {
                        self.line.push_str("错误(");
                        self.push_code(code);
                        self.line.push_str(")：");
                        self.push_pick(ZH_MESSAGES);
                        self.line.push_str("；RequestId: ");
                        self.new_rid();
                        self.push_rid();
                    }
                }
            } else {
                match self.rng.below(6) {
                    0 => {
                        self.line.push_str(" [info] \x1b[32m✔\x1b[0m function ");
                        self.line.push_str(self.rng.pick(FUNCS));
                        self.line.push_str(" deployed, version $LATEST, code size ");
                        self.push_num(2, 900);
                        self.line.push_str(" KB");
                    }
                    1 => {
                        self.line.push_str(" [info] uploading static files to ");
                        self.push_pick(ENV_IDS);
                        self.line.push_str(" (");
                        self.push_num(1, 400);
                        self.line
                            .push_str(" files, STATIC_RESOURCE_CACHE_TTL=3600)");
                    }
                    2 => {
                        self.line.push_str(" [debug] tcb env list -> ENV_ID=");
                        self.push_pick(ENV_IDS);
                        self.line
                            .push_str(" region=ap-shanghai AUTH_MODE=anonymous,wechat");
                    }
                    3 => {
                        self.line.push_str(" [warn] \x1b[33mdeprecated\x1b[0m option --force; FUNCTION_TIME_LIMIT=");
                        self.push_num(3, 900);
                        self.line
                            .push_str(" exceeds default, INVALIID_ENV_NAME ignored");
                    }
                    4 => {
                        self.line.push_str(" [info] building image ");
                        self.push_pick(SERVICES);
                        self.line.push(':');
                        let v = self.rng.next_u64();
                        self.push_hex(v, 7);
                        self.line.push_str(" step ");
                        self.push_num(1, 12);
                        self.line.push_str("/12 RUN npm ci --omit=dev");
                    }
                    _ => {
                        self.line.push_str(" [info] 云函数 ");
                        self.line.push_str(self.rng.pick(FUNCS));
                        self.line.push_str(" 调用成功，耗时 ");
                        self.push_num(3, 3000);
                        self.line.push_str("ms，ACCESS_TOKEN_TTL=7200");
                    }
                }
            }
            self.emit();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Adversarial lines.

const SUFFIXES: &[&str] = &[
    "KEY", "MODE", "NAME", "PATH", "ID", "TYPE", "LIST", "COUNT", "SIZE", "URL", "CONFIG", "MS",
    "FLAG", "ENABLED", "V2", "RETRY", "CACHE", "HOST", "PORT", "PREFIX", "STATE", "TTL", "TOTAL",
];

/// Identifiers that share long prefixes with catalog codes but are never codes themselves.
fn build_near_misses(cat: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |s: String| {
        if !cat.code_set.contains(&s) && s.bytes().all(is_word) && seen.insert(s.clone()) {
            out.push(s);
        }
    };
    for code in &cat.codes {
        let parts: Vec<&str> = code.split('_').collect();
        for k in 1..parts.len() {
            let prefix = parts[..k].join("_");
            for (i, suf) in SUFFIXES.iter().enumerate() {
                // A few suffixes per prefix, varied by position.
                if (i + k + code.len()) % 4 == 0 {
                    add(format!("{prefix}_{suf}"));
                }
            }
            add(format!("{prefix}_"));
        }
        add(format!("{code}S"));
        add(format!("{code}ER"));
        add(format!("{code}_MS"));
        add(format!("{code}2"));
        add(format!("{code}_"));
        add(format!("_{code}"));
        add(format!("X{code}"));
        add(format!("NO_{code}"));
        add(code[..code.len() - 1].to_string());
        add(code.to_ascii_lowercase());
        let mut mixed = String::new();
        for p in &parts {
            if !mixed.is_empty() {
                mixed.push('_');
            }
            let mut cs = p.chars();
            if let Some(c) = cs.next() {
                mixed.push(c.to_ascii_uppercase());
                mixed.extend(cs.map(|c| c.to_ascii_lowercase()));
            }
        }
        add(mixed);
        // Singular/plural twins: FUNCTION_ <-> FUNCTIONS_.
        if let Some(rest) = code.strip_prefix("FUNCTIONS_") {
            add(format!("FUNCTION_{rest}ED"));
        } else if let Some(rest) = code.strip_prefix("FUNCTION_") {
            add(format!("FUNCTIONS_{rest}_NAME"));
        }
    }
    out
}

/// Numeric look-alikes that never match `(?-u:\B)-(?:N)(?-u:\b)`.
fn numeric_near_misses(cat: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    for &(n, _) in &cat.numerics {
        let a = n.unsigned_abs();
        out.push(format!("{n}1"));
        out.push(format!("v2{n}"));
        out.push(format!("{a}"));
        out.push(format!("-{}", a / 10));
        out.push(format!("{n}x"));
        out.push(format!("err{n}"));
        out.push(format!("{n}_retry"));
    }
    out
}

const SEPARATORS: &[&str] = &[
    " ", " ", " ", ", ", "=", ":", "|", "/", " (", ") ", "\"", "'", ".", "，", "、", " [", "] ",
];

impl<W: Write> Gen<W> {
    fn adversarial(&mut self, size: u64, hit_every: u64) {
        let cat = self.cat;
        let mut near = build_near_misses(cat);
        near.extend(numeric_near_misses(cat));
        self.near_misses = near;
        while self.bytes < size {
            self.tick(50);
            self.push_iso();
            self.line.push(' ');
            self.push_pick(&["DEBUG", "INFO", "TRACE", "WARN"]);
            self.line.push(' ');
            let n = self.rng.range(6, 12);
            let hit_at = if self.rng.below(hit_every) == 0 {
                self.rng.below(n)
            } else {
                u64::MAX
            };
            for i in 0..n {
                if i > 0 {
                    self.push_pick(SEPARATORS);
                }
                if i == hit_at {
                    if !cat.numerics.is_empty() && self.rng.below(5) == 0 {
                        // A numeric alias needs a non-word byte before its '-'.
                        self.line.push(' ');
                        let m = self.pick_numeric();
                        self.push_numeric(m, false);
                        self.line.push(' ');
                    } else {
                        let code = self.pick_code();
                        self.push_code(code);
                    }
                } else {
                    let j = self.rng.below(self.near_misses.len() as u64) as usize;
                    self.line.push_str(&self.near_misses[j]);
                }
            }
            self.emit();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Hit-heavy corpora for the memory benchmark (`benches/memory.sh`).

const DOCS_URL: &str = "https://docs.cloudbase.net/error-code/basic/";

impl<W: Write> Gen<W> {
    /// Logs where about `rate` of the lines carry at least one code, in the function,
    /// Cloud Run and CLI shapes of `realistic`; some lines carry three (errCode, errMsg and
    /// the docs link). The other lines are function START lines, stack frames and noise.
    fn hits(&mut self, size: u64, rate: f64) {
        self.limit = size;
        self.new_rid();
        while self.bytes < size {
            self.tick(40);
            if !self.rng.chance(rate) {
                match self.rng.below(4) {
                    0 => {
                        self.new_rid();
                        self.func = self.rng.pick(FUNCS);
                        self.push_iso();
                        self.line.push_str(" START RequestId:");
                        self.push_rid();
                        self.emit();
                    }
                    1 => self.stack_frame(),
                    _ => self.function_noise_line(),
                }
                continue;
            }
            match self.rng.below(20) {
                0..=8 => self.function_hit_line(),
                9..=12 => self.multi_code_line(),
                13..=16 => self.cloudrun_hit_line(),
                _ => self.cli_hit_line(),
            }
        }
    }

    /// A function log line with the same code three times: numeric errCode, the string code
    /// in errMsg, and the docs link (or, without numeric aliases, code, message and link).
    fn multi_code_line(&mut self) {
        self.node_prefix("ERROR");
        let cat = self.cat;
        if !cat.codes_with_numeric.is_empty() && self.rng.below(2) == 0 {
            let i = self.rng.below(cat.codes_with_numeric.len() as u64) as usize;
            let (ci, n) = cat.codes_with_numeric[i];
            let code: &str = &cat.codes[ci];
            self.line.push_str("Error: errCode: ");
            self.push_numeric(n, true);
            self.line.push_str(" | errMsg: [");
            self.push_code(code);
            self.line.push_str("] ");
            self.push_pick(ZH_MESSAGES);
            self.line.push_str("。更多错误信息请访问：");
            self.line.push_str(DOCS_URL);
            self.push_code(code);
        } else {
            let code = self.pick_code();
            self.line.push_str("{\"code\":\"");
            self.push_code(code);
            self.line.push_str("\",\"message\":\"[");
            self.push_code(code);
            self.line.push_str("] ");
            self.push_pick(MESSAGES);
            self.line.push_str("\",\"docs\":\"");
            self.line.push_str(DOCS_URL);
            self.push_code(code);
            self.line.push_str("\",\"requestId\":\"");
            self.push_rid();
            self.line.push_str("\"}");
        }
        self.emit();
    }

    /// One Cloud Run JSON log line with a code (the hit shape of `cloudrun_block`).
    fn cloudrun_hit_line(&mut self) {
        self.new_rid();
        let svc = self.rng.pick(SERVICES);
        let code = self.pick_code();
        self.line.push_str("{\"level\":\"error\",\"time\":\"");
        self.push_iso();
        self.line.push_str("\",\"service\":\"");
        self.line.push_str(svc);
        if self.rng.below(2) == 0 {
            self.line
                .push_str("\",\"msg\":\"tcb call failed\",\"code\":\"");
            self.push_code(code);
        } else {
            self.line.push_str("\",\"msg\":\"upstream error: [");
            self.push_code(code);
            self.line.push_str("] ");
            self.push_pick(MESSAGES);
        }
        self.line.push_str("\",\"requestId\":\"");
        self.push_rid();
        self.line.push_str("\"}");
        self.emit();
    }

    /// One tcb CLI error line (the hit shapes of `cli_block`).
    fn cli_hit_line(&mut self) {
        self.push_cli_ts();
        self.line.push_str(" [error] ");
        let code = self.pick_code();
        match self.rng.below(3) {
            0 => {
                self.line.push_str("✖ 部署失败：[");
                self.push_code(code);
                self.line.push_str("] ");
                self.push_pick(ZH_MESSAGES);
            }
            1 => {
                self.line.push_str("deploy function ");
                self.line.push_str(self.rng.pick(FUNCS));
                self.line.push_str(" failed: \"");
                self.push_code(code);
                self.line.push_str("\" - ");
                self.push_pick(MESSAGES);
            }
            _ => {
                self.line.push_str("GET https://");
                self.push_pick(ENV_IDS);
                self.line.push_str(".service.tcloudbase.com/error?code=");
                self.push_code(code);
                self.line.push_str("&env=");
                self.push_pick(ENV_IDS);
            }
        }
        self.emit();
    }

    /// Very long lines, each a failed batch write listing about `per_line` errors (string
    /// codes, and numeric errCodes repeated in errMsg), so every line holds that many hits.
    fn wide(&mut self, size: u64, per_line: u64) {
        self.limit = size;
        let cat = self.cat;
        while self.bytes < size {
            self.tick(1000);
            self.new_rid();
            self.node_prefix("ERROR");
            self.line.push_str("batch write to \"");
            self.push_pick(COLLECTIONS);
            self.line.push_str("\" failed: {\"errors\":[");
            let target = self.rng.range(per_line * 9 / 10, per_line * 11 / 10);
            let mut i = 0u64;
            while self.line_hits < target {
                if i > 0 {
                    self.line.push(',');
                }
                let _ = write!(self.line, "{{\"index\":{i},");
                if !cat.numerics.is_empty() && self.rng.below(4) == 0 {
                    let n = self.pick_numeric();
                    self.line.push_str("\"errCode\":");
                    self.push_numeric(n, false);
                    self.line.push_str(",\"errMsg\":\"");
                    self.push_numeric(n, true);
                } else {
                    let code = self.pick_code();
                    self.line.push_str("\"code\":\"");
                    self.push_code(code);
                    self.line.push_str("\",\"message\":\"");
                    self.push_pick(MESSAGES);
                }
                self.line.push_str("\"}");
                i += 1;
            }
            self.line.push_str("]}");
            self.emit();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Command line.

fn die(msg: &str) -> ! {
    eprintln!("gen_corpus: {msg}");
    process::exit(2);
}

const USAGE: &str = "usage:
  gen_corpus patterns    [--catalog F]
  gen_corpus realistic   --size BYTES --out FILE [--catalog F] [--stats F]
  gen_corpus adversarial --size BYTES --out FILE [--catalog F] [--stats F]
  gen_corpus dense       --size BYTES --out FILE [--catalog F] [--stats F]
  gen_corpus hits        --size BYTES --out FILE [--catalog F] [--stats F]
  gen_corpus wide        --size BYTES --out FILE [--catalog F] [--stats F]
  gen_corpus folder --files N --total-size BYTES --out DIR [--catalog F] [--stats F]
BYTES may end in K, M or G (powers of 1024).";

fn parse_size(s: &str) -> u64 {
    let t = s.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&t[..i], 1u64 << 10),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&t[..i], 1u64 << 20),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&t[..i], 1u64 << 30),
        _ => (t, 1),
    };
    match num.parse::<u64>() {
        Ok(n) => n
            .checked_mul(mul)
            .unwrap_or_else(|| die(&format!("size too large: {s}"))),
        Err(_) => die(&format!("bad size: {s}")),
    }
}

struct Opts {
    cmd: String,
    catalog: PathBuf,
    size: Option<u64>,
    out: Option<PathBuf>,
    files: Option<u64>,
    total_size: Option<u64>,
    stats: Option<PathBuf>,
}

fn parse_args() -> Opts {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_else(|| die(USAGE));
    if cmd == "-h" || cmd == "--help" {
        println!("{USAGE}");
        process::exit(0);
    }
    let mut o = Opts {
        cmd,
        catalog: PathBuf::from("src/catalog.toml"),
        size: None,
        out: None,
        files: None,
        total_size: None,
        stats: None,
    };
    while let Some(flag) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--catalog" => o.catalog = PathBuf::from(val()),
            "--size" => o.size = Some(parse_size(&val())),
            "--out" => o.out = Some(PathBuf::from(val())),
            "--files" => {
                let v = val();
                o.files = Some(
                    v.parse()
                        .unwrap_or_else(|_| die(&format!("bad --files: {v}"))),
                )
            }
            "--total-size" => o.total_size = Some(parse_size(&val())),
            "--stats" => o.stats = Some(PathBuf::from(val())),
            _ => die(&format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    o
}

fn create(path: &Path) -> BufWriter<File> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            fs::create_dir_all(dir)
                .unwrap_or_else(|e| die(&format!("mkdir {}: {e}", dir.display())));
        }
    }
    let f = File::create(path).unwrap_or_else(|e| die(&format!("create {}: {e}", path.display())));
    BufWriter::with_capacity(1 << 20, f)
}

#[derive(Default)]
struct Totals {
    files: u64,
    bytes: u64,
    lines: u64,
    hit_lines: u64,
    hits: u64,
}

impl Totals {
    fn add<W: Write>(&mut self, g: &Gen<W>) {
        self.files += 1;
        self.bytes += g.bytes;
        self.lines += g.lines;
        self.hit_lines += g.hit_lines;
        self.hits += g.hits;
    }
}

fn finish<W: Write>(mut g: Gen<W>, totals: &mut Totals) {
    if let Err(e) = g.out.flush() {
        die(&format!("write failed: {e}"));
    }
    totals.add(&g);
}

fn main() {
    let o = parse_args();
    let cat: &'static Catalog = Box::leak(Box::new(load_catalog(&o.catalog)));
    let need_out = || {
        o.out
            .clone()
            .unwrap_or_else(|| die(&format!("{} needs --out\n{USAGE}", o.cmd)))
    };
    let need_size = || {
        o.size
            .unwrap_or_else(|| die(&format!("{} needs --size\n{USAGE}", o.cmd)))
    };
    let mut totals = Totals::default();
    let started = std::time::Instant::now();
    let out_path = match o.cmd.as_str() {
        "patterns" => {
            print_patterns(cat);
            return;
        }
        "realistic" | "dense" | "adversarial" | "hits" | "wide" => {
            let (size, path) = (need_size(), need_out());
            let seed = SEED ^ (o.cmd.len() as u64) << 56 ^ o.cmd.as_bytes()[0] as u64;
            let mut g = Gen::new(cat, seed, create(&path));
            match o.cmd.as_str() {
                "realistic" => g.realistic(size, 0.005),
                "dense" => g.realistic(size, 0.05),
                "hits" => g.hits(size, 0.9),
                "wide" => g.wide(size, 500),
                _ => g.adversarial(size, 2000),
            }
            finish(g, &mut totals);
            path
        }
        "folder" => {
            let dir = need_out();
            let files = o
                .files
                .unwrap_or_else(|| die(&format!("folder needs --files\n{USAGE}")));
            let total = o
                .total_size
                .unwrap_or_else(|| die(&format!("folder needs --total-size\n{USAGE}")));
            if files == 0 {
                die("--files must be at least 1");
            }
            let avg = (total / files).max(1);
            let mut sizes = Rng::new(SEED ^ 0x00F0_1DE5);
            let hosts = files.div_ceil(1000).clamp(1, 20);
            for i in 0..files {
                let host = i % hosts;
                let svc = SERVICES[((i / hosts) % SERVICES.len() as u64) as usize];
                let path = dir
                    .join(format!("host{host:02}"))
                    .join(svc)
                    .join(format!("app-{i:05}.log"));
                // Sizes vary between 0.5x and 1.5x the average.
                let size = ((avg as f64) * (0.5 + sizes.f64())) as u64;
                let mut g = Gen::new(cat, SEED ^ (i + 1).wrapping_mul(0x9E37_79B9), create(&path));
                g.realistic(size.max(1), 0.005);
                finish(g, &mut totals);
            }
            dir
        }
        other => die(&format!("unknown subcommand {other}\n{USAGE}")),
    };
    let mut stats = BTreeMap::new();
    stats.insert("corpus", serde_json::json!(o.cmd));
    stats.insert("path", serde_json::json!(out_path.display().to_string()));
    stats.insert("files", serde_json::json!(totals.files));
    stats.insert("bytes", serde_json::json!(totals.bytes));
    stats.insert("lines", serde_json::json!(totals.lines));
    stats.insert("hit_lines", serde_json::json!(totals.hit_lines));
    stats.insert("hits", serde_json::json!(totals.hits));
    let json = serde_json::to_string(&stats).expect("stats serialize");
    if let Some(p) = &o.stats {
        fs::write(p, format!("{json}\n"))
            .unwrap_or_else(|e| die(&format!("write {}: {e}", p.display())));
    }
    eprintln!(
        "gen_corpus: {} -> {}: {} files, {} bytes, {} lines (avg {:.0} B), {} lines with codes ({:.3}%), {} hits, {:.1}s",
        o.cmd,
        out_path.display(),
        totals.files,
        totals.bytes,
        totals.lines,
        totals.bytes as f64 / totals.lines.max(1) as f64,
        totals.hit_lines,
        100.0 * totals.hit_lines as f64 / totals.lines.max(1) as f64,
        totals.hits,
        started.elapsed().as_secs_f64()
    );
}

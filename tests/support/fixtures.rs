//! The fixtures in `fixtures/`, read by hand: every hit of each sample log as
//! `(line, byte column, byte offset, code, matched text)`, and the folder fixture's files.
//! Shared by the integration tests so that each list is written once.

use super::HitTuple;

// ---------------------------------------------------------------------------------------------
// The fixtures, read by hand: (line, byte column, byte offset, code, matched text)
// ---------------------------------------------------------------------------------------------

pub type Expected = (u64, u64, u64, &'static str, &'static str);

pub const CLOUDFUNCTION: &str = "fixtures/cloudfunction-runtime.log";
pub const CLOUDFUNCTION_HITS: [Expected; 15] = [
    (
        3,
        48,
        216,
        "DATABASE_COLLECTION_NOT_EXIST",
        "DATABASE_COLLECTION_NOT_EXIST",
    ),
    (4, 41, 377, "DATABASE_COLLECTION_NOT_EXIST", "-502005"),
    (
        4,
        219,
        555,
        "DATABASE_COLLECTION_NOT_EXIST",
        "DATABASE_COLLECTION_NOT_EXIST",
    ),
    (
        9,
        33,
        995,
        "FUNCTIONS_EXECUTE_FAIL",
        "FUNCTIONS_EXECUTE_FAIL",
    ),
    (9, 88, 1050, "FUNCTIONS_EXECUTE_FAIL", "-504002"),
    (9, 136, 1098, "DATABASE_REQUEST_FAILED", "-502001"),
    (9, 176, 1138, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
    (10, 65, 1219, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
    (
        14,
        41,
        1581,
        "STORAGE_FILE_NONEXIST",
        "STORAGE_FILE_NONEXIST",
    ),
    (16, 52, 1902, "STORAGE_FILE_NONEXIST", "-503003"),
    (
        16,
        90,
        1940,
        "STORAGE_FILE_NONEXIST",
        "STORAGE_FILE_NONEXIST",
    ),
    (18, 50, 2135, "SYS_ERR", "-501001"),
    (18, 103, 2188, "SYS_ERR", "SYS_ERR"),
    (
        19,
        48,
        2243,
        "FUNCTION_TIME_LIMIT_EXCEEDED",
        "FUNCTION_TIME_LIMIT_EXCEEDED",
    ),
    (20, 41, 2347, "AUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED"),
];

/// CRLF line ends and ANSI colours; `v2-503003`, `X_SERVICE_TIMEOUT`, `service_timeout` on
/// line 7 are not hits.
pub const CI_ANSI: &str = "fixtures/ci-deploy-ansi.log";
pub const CI_ANSI_HITS: [Expected; 4] = [
    (
        2,
        69,
        152,
        "FUNCTION_PARAM_INVALID",
        "FUNCTION_PARAM_INVALID",
    ),
    (4, 35, 284, "SERVICE_NOT_READY", "SERVICE_NOT_READY"),
    (5, 35, 392, "SERVICE_TIMEOUT", "SERVICE_TIMEOUT"),
    (
        6,
        82,
        525,
        "STATIC_RESOURCE_REQUESTS_FAILED",
        "STATIC_RESOURCE_REQUESTS_FAILED",
    ),
];

/// Spinner output: each code comes right after `\r ESC[K`, `ESC[2K ESC[1G`, `ESC[G` or
/// `ESC[?25h`, whose last byte is a letter. Line 6 is the same output with its ESC bytes
/// stripped (`[2K[1GSERVICE_TIMEOUT`): not a hit.
pub const CI_SPINNER: &str = "fixtures/ci-spinner.log";
pub const CI_SPINNER_HITS: [Expected; 5] = [
    (3, 35, 185, "STORAGE_REQUEST_FAIL", "STORAGE_REQUEST_FAIL"),
    (
        4,
        47,
        288,
        "FUNCTIONS_EXECUTE_FAIL",
        "FUNCTIONS_EXECUTE_FAIL",
    ),
    (5, 48, 393, "SERVICE_NOT_READY", "SERVICE_NOT_READY"),
    (7, 41, 548, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
    (
        8,
        61,
        639,
        "FUNCTION_TIME_LIMIT_EXCEEDED",
        "FUNCTION_TIME_LIMIT_EXCEEDED",
    ),
];

/// One line carries four numbers: the `-404011` wrapper (a numeric-only entry since issue 10)
/// around `-504002` around `-502003`.
pub const MINIPROGRAM: &str = "fixtures/miniprogram-client.log";
pub const MINIPROGRAM_HITS: [Expected; 10] = [
    (1, 62, 61, "-404011", "-404011"),
    (1, 209, 208, "FUNCTIONS_EXECUTE_FAIL", "-504002"),
    (1, 248, 247, "DATABASE_PERMISSION_DENIED", "-502003"),
    (2, 71, 380, "DATABASE_PERMISSION_DENIED", "-502003"),
    (
        2,
        116,
        425,
        "DATABASE_PERMISSION_DENIED",
        "DATABASE_PERMISSION_DENIED",
    ),
    (3, 44, 495, "STORAGE_EXCEED_AUTHORITY", "-503002"),
    (
        3,
        79,
        530,
        "STORAGE_EXCEED_AUTHORITY",
        "STORAGE_EXCEED_AUTHORITY",
    ),
    (
        5,
        70,
        680,
        "EXCEED_TOKEN_QUOTA_LIMIT",
        "EXCEED_TOKEN_QUOTA_LIMIT",
    ),
    (5, 121, 731, "AI_MODEL_DISABLED", "AI_MODEL_DISABLED"),
    (
        6,
        28,
        777,
        "APIs_GET_OPENAPI_SCHEMA_ERROR",
        "APIs_GET_OPENAPI_SCHEMA_ERROR",
    ),
];

/// `OPERATION_FAIL`, `OK`, `DATABASE_TIMEOUT_MS`, lower-case and `_V2` spellings are not hits.
pub const HTTP_API: &str = "fixtures/http-api-responses.jsonl";
pub const HTTP_API_HITS: [Expected; 12] = [
    (
        1,
        10,
        9,
        "DATABASE_PERMISSION_DENIED",
        "DATABASE_PERMISSION_DENIED",
    ),
    (2, 10, 181, "FUNCTION_NOT_FOUND", "FUNCTION_NOT_FOUND"),
    (3, 31, 333, "INVALID_ACCESS_TOKEN", "INVALID_ACCESS_TOKEN"),
    (4, 38, 493, "STORAGE_REQUEST_FAIL", "STORAGE_REQUEST_FAIL"),
    (5, 10, 640, "ACCESS_TOKEN_INVALID", "ACCESS_TOKEN_INVALID"),
    (
        6,
        10,
        772,
        "SERVICE_CHARGE_OVERDUE",
        "SERVICE_CHARGE_OVERDUE",
    ),
    (7, 12, 891, "INVALID_PARAM", "-501007"),
    (
        8,
        10,
        1013,
        "DATABASE_DUPLICATE_WRITE",
        "DATABASE_DUPLICATE_WRITE",
    ),
    (
        8,
        149,
        1152,
        "DATABASE_DUPLICATE_WRITE",
        "DATABASE_DUPLICATE_WRITE",
    ),
    (
        10,
        10,
        1370,
        "AI_MODEL_REQUEST_FAILED",
        "AI_MODEL_REQUEST_FAILED",
    ),
    (
        10,
        68,
        1428,
        "EXCEED_TOKEN_QUOTA_LIMIT",
        "EXCEED_TOKEN_QUOTA_LIMIT",
    ),
    (
        11,
        10,
        1507,
        "CDN_SIGNATURE_EXPIRED",
        "CDN_SIGNATURE_EXPIRED",
    ),
];

/// `STATIC_RESOURCE_NONACTIVATED_HINT` and `database_collection_already_exist` are not hits.
pub const CLI_DEPLOY: &str = "fixtures/cli-deploy.log";
pub const CLI_DEPLOY_HITS: [Expected; 12] = [
    (
        4,
        52,
        253,
        "STATIC_RESOURCE_NONACTIVATED",
        "STATIC_RESOURCE_NONACTIVATED",
    ),
    (
        6,
        51,
        477,
        "SERVICE_VERSION_NOT_FOUND",
        "SERVICE_VERSION_NOT_FOUND",
    ),
    (
        7,
        48,
        590,
        "FUNCTIONS_EXECUTE_FAIL",
        "FUNCTIONS_EXECUTE_FAIL",
    ),
    (7, 88, 630, "FUNCTIONS_EXECUTE_FAIL", "-504002"),
    (
        7,
        129,
        671,
        "FUNCTION_MEMORY_LIMIT_EXCEEDED",
        "FUNCTION_MEMORY_LIMIT_EXCEEDED",
    ),
    (8, 45, 746, "STORAGE_REQUEST_FAIL", "STORAGE_REQUEST_FAIL"),
    (8, 75, 776, "STORAGE_REQUEST_FAIL", "-503001"),
    (
        9,
        29,
        827,
        "EXCEED_UPLOAD_MAXFILESIZE",
        "EXCEED_UPLOAD_MAXFILESIZE",
    ),
    (
        11,
        58,
        1007,
        "DATABASE_COLLECTION_ALREADY_EXIST",
        "DATABASE_COLLECTION_ALREADY_EXIST",
    ),
    (13, 40, 1175, "INVALIID_ENV", "INVALIID_ENV"),
    (13, 53, 1188, "INVALIID_ENV", "-501005"),
    (
        14,
        93,
        1305,
        "SERVICE_VERSION_NOT_FOUND",
        "SERVICE_VERSION_NOT_FOUND",
    ),
];

pub const FIXTURES: [(&str, &[Expected]); 6] = [
    (CLOUDFUNCTION, &CLOUDFUNCTION_HITS),
    (CI_ANSI, &CI_ANSI_HITS),
    (CI_SPINNER, &CI_SPINNER_HITS),
    (MINIPROGRAM, &MINIPROGRAM_HITS),
    (HTTP_API, &HTTP_API_HITS),
    (CLI_DEPLOY, &CLI_DEPLOY_HITS),
];

/// The folder fixture, in path order, with the codes each file holds.
pub const FOLDER_FILES: [(&str, &[&str]); 6] = [
    ("fixtures/folder/.gitignore", &[]),
    ("fixtures/folder/app.log", &["AUTH_LOGIN_FAILED"]),
    ("fixtures/folder/ignored.log", &["SERVICE_TIMEOUT"]),
    (
        "fixtures/folder/nested/.hidden.log",
        &["CDN_SIGNATURE_MISSING"],
    ),
    (
        "fixtures/folder/nested/deep/worker.log",
        &["DATABASE_PERMISSION_DENIED", "DATABASE_PERMISSION_DENIED"],
    ),
    ("fixtures/folder/notes.txt", &["OBJECT_NOT_EXIST"]),
];

/// The lines of a file as the issue defines them (split at `\n`, a `\r` before it dropped).
pub fn fixture_lines(data: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = data
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect();
    if data.ends_with(b"\n") {
        lines.pop();
    }
    lines
}

/// The hand-read hits as the tuples the output is compared with.
pub fn tuples(expected: &[Expected]) -> Vec<HitTuple> {
    expected
        .iter()
        .map(|&(l, c, o, code, matched)| (l, c, o, code.to_string(), matched.to_string()))
        .collect()
}

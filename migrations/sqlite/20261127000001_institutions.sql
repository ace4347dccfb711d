-- Institutions (instansi) that use SIGAP. Times are Unix milliseconds.
CREATE TABLE institutions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    region_code TEXT    NOT NULL,
    address     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

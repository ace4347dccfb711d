-- Institutions (instansi) that use SIGAP. Times are Unix milliseconds.
CREATE TABLE institutions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT   NOT NULL UNIQUE,
    name        TEXT   NOT NULL,
    region_code TEXT   NOT NULL,
    address     TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

//! Test keys of external identity providers, made once with OpenSSL (`openssl genpkey`), since
//! generating an RSA key in a debug build takes seconds. Never used outside tests.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// RSA 2048 private key, PKCS#1 DER (`openssl rsa -traditional -outform DER`), base64.
const RSA_PKCS1: &str = concat!(
    "MIIEpAIBAAKCAQEAsJzyBpPCPDfHnQoHh2ZufDNmVG4D0N0I7dU8E36J8H5YUkAvis2O19xDQ2Kf0DCMocsXNGSIu4QNJlhK",
    "aP+oCz5I32kCXThMRvVKTjAIU/nfuhVW7fQGep8iaeM44fRap7ZvYCh9VSREF2HDHFdIJMy4eRp6tP10W6EDtspXlbWcB9sA",
    "PyfcEKiDvp/aWJXc3A2zO7mo4B6+8Yd49XyFishE+mcn8qT6JWRkPMq0xjTv317Jx2bUis1paeq9wxEexVSlx1cd74nkoCV+",
    "F/QfUE63cLeZHCdNXqTVa8ndgc1AKn4vuRi9n1PliOy21jDolVNhFulp5FN0JsVb6DpVZwIDAQABAoIBAACw3t8pK9nHqpu5",
    "O4E8xS2vSwTPcphARPgaRFCOQs9WfD73UaXEWeafoOKBfFe9CiVF9M9BmVIbYjfJFkRPXDbesdTCVE7xGf3icHyHM82hEYiy",
    "1RNxzouqB1YX8/IlJgixWMqzn0BH+N8hvNp1bs+0Aepi8fuS+cw2JEbv/ABF916yfb69DD7Lh+3rJaEyUYLvlfRaZhiygyvr",
    "NxPxJgptUGqpCWYGRr0j3kOpJvi8bzWA6OdHNSncTXabhA14gTQ4JZI639S0CUZK0XOyGCMNYpl7JQKMFiP5N64kGfb/Zv3K",
    "4kHWSQRlGifglAp+FtskXHQaI6WW2vxKmywcEiECgYEA1iah0vBA2H9t+O5GZSnPOTRJzkoiyg/dAA6hDvXd7Dc63K0qWwUW",
    "s4xyAI9kxP6BtEtlmEZu717FRLaOvikA9W6QBP8Twxp6Tk9LYruwnZpJeTV8s62VDtXG3dj12XVZaEeZFj2dF+KoMBWkPXSa",
    "dK8zVAsZocV5TvQxJla5MSECgYEA0yBmlr0vEHoyZmaESPc5ugIqluaIc2bmUYmMaxpYSjxYgph2ePSSg9PgMisuqplWCfws",
    "vtprHfnpVqxNizmu0rvWremaDVwrjzDZqV2KR8OMdBWGIvBhS5rBLikxglDujPfx4cO/FG3IG4N0fbUfsz/swlDYYTgTbLnd",
    "7Sb6zYcCgYEAyav7/YBQMRJgaGtMU/y5r+90Chd7B7tErscYGdSlN80TW7qgBrOWG2SJ/8kKZxIe58GRXYQG+NnRANLDPoWy",
    "529Fpc7pt3T59UFrhwGmY+VmiAU8+KDhnOTpsQafEDkZB8FVg8JmbJYBObdHwrBKvNQ5jE4fx18GzLneh3JoWMECgYBjf7OZ",
    "etNBarVx+QKC+LBl7ztvHnpUGLyW1MIuf534bnQwJ/Y9jtW19xaDzkIR+G3KCuRzlbBB0lObm1x4LtkrS4cjMyJ9BWEp/JW3",
    "8fOHWqtI0hQDR1IzNV2xiYxhpA6otPlzsrLMx+g0v0EZNVEZQxkrgrpXJvxQk0/5whMU5QKBgQCvuhmiR/srlxlltj4aOZ9P",
    "aw+tRYSakfJdL6Tipfac5yvepVFS9tn6bikvOlPAlO0kZMwZfl8ZHfrw2PuWJsjO5ZQr2W5fWTaeB8TFPp151bsAzKHRB/z2",
    "bjD1j+xwdwJVrG0N5EfPmGwTFJqKBGfvWjdzXFWbcWrbyv/KN97UaQ==",
);

/// Its public key as JWK components (base64url).
pub const RSA_N: &str = "sJzyBpPCPDfHnQoHh2ZufDNmVG4D0N0I7dU8E36J8H5YUkAvis2O19xDQ2Kf0DCMocsXNGSIu4QNJlhKaP-oCz5I32kCXThMRvVKTjAIU_nfuhVW7fQGep8iaeM44fRap7ZvYCh9VSREF2HDHFdIJMy4eRp6tP10W6EDtspXlbWcB9sAPyfcEKiDvp_aWJXc3A2zO7mo4B6-8Yd49XyFishE-mcn8qT6JWRkPMq0xjTv317Jx2bUis1paeq9wxEexVSlx1cd74nkoCV-F_QfUE63cLeZHCdNXqTVa8ndgc1AKn4vuRi9n1PliOy21jDolVNhFulp5FN0JsVb6DpVZw";
pub const RSA_E: &str = "AQAB";

/// P-256 private key, PKCS#8 DER (`openssl pkcs8 -topk8 -nocrypt -outform DER`), base64.
const EC_PKCS8: &str = concat!(
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMwEzv6L308cM719gMqeJMqWghJkwcj6hLbqmYsjgbY2hRANC",
    "AAQKs7qNGFzeSOobVQCni24VS/51NXX3LQk6E1Yvvwh7OYKK/r0xUJiHpaGpSWyjsUovk8Zp8lIg0+wDwo+7G1Zq",
);

/// Its public key as JWK coordinates (base64url).
pub const EC_X: &str = "CrO6jRhc3kjqG1UAp4tuFUv-dTV19y0JOhNWL78Iezk";
pub const EC_Y: &str = "gor-vTFQmIeloalJbKOxSi-TxmnyUiDT7APCj7sbVmo";

pub fn rsa_key() -> jsonwebtoken::EncodingKey {
    jsonwebtoken::EncodingKey::from_rsa_der(&STANDARD.decode(RSA_PKCS1).unwrap())
}

pub fn ec_key() -> jsonwebtoken::EncodingKey {
    jsonwebtoken::EncodingKey::from_ec_der(&STANDARD.decode(EC_PKCS8).unwrap())
}

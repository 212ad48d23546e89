//! `<binaryDataArray>` payloads: base64 text, optionally zlib-compressed, holding little-endian
//! numbers. Every size is bounded here, whatever the file declares, so that a zlib bomb or a
//! forged `defaultArrayLength` is an error rather than an out-of-memory abort.

use std::io::Read;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Largest decoded (and decompressed) array accepted, in bytes.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// Base64 decoder that tolerates missing padding, which some writers omit.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How the numbers of an array are stored (PSI-MS `binary data type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberType {
    F16,
    F32,
    F64,
    I32,
    I64,
}

impl NumberType {
    /// The type a PSI-MS accession names, if it is a numeric binary data type.
    pub fn from_accession(accession: &str) -> Option<Self> {
        Some(match accession {
            "MS:1000520" => NumberType::F16,
            "MS:1000521" => NumberType::F32,
            "MS:1000523" => NumberType::F64,
            "MS:1000519" => NumberType::I32,
            "MS:1000522" => NumberType::I64,
            _ => return None,
        })
    }

    fn width(self) -> usize {
        match self {
            NumberType::F16 => 2,
            NumberType::F32 | NumberType::I32 => 4,
            NumberType::F64 | NumberType::I64 => 8,
        }
    }

    /// Name for provenance (`32-bit float`).
    pub fn label(self) -> &'static str {
        match self {
            NumberType::F16 => "16-bit float",
            NumberType::F32 => "32-bit float",
            NumberType::F64 => "64-bit float",
            NumberType::I32 => "32-bit integer",
            NumberType::I64 => "64-bit integer",
        }
    }
}

/// How the bytes are compressed (PSI-MS `binary data compression type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Zlib,
}

impl Compression {
    /// The compression a PSI-MS accession names; `Err` for a known compression this reader
    /// cannot undo (MS-Numpress and the truncation/prediction schemes).
    pub fn from_accession(accession: &str) -> Option<Result<Self, ()>> {
        match accession {
            "MS:1000576" => Some(Ok(Compression::None)),
            "MS:1000574" => Some(Ok(Compression::Zlib)),
            "MS:1002312" | "MS:1002313" | "MS:1002314" | "MS:1002746" | "MS:1002747" | "MS:1002748" | "MS:1003088"
            | "MS:1003089" | "MS:1003090" => Some(Err(())),
            _ => None,
        }
    }
}

/// Decodes one array's text into `out` (cleared first). The message of an error says what is
/// wrong; the caller adds where.
pub fn decode(
    text: &[u8],
    number: NumberType,
    compression: Compression,
    limit: u64,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    out.clear();
    // Writers may wrap base64 over lines; whitespace carries nothing.
    let compact: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if compact.len() as u64 / 4 * 3 > limit {
        return Err(format!("array is larger than {}", size(limit)));
    }
    let raw = BASE64.decode(&compact).map_err(base64_message)?;
    drop(compact);
    let bytes = match compression {
        Compression::None => raw,
        Compression::Zlib => inflate(&raw, limit)?,
    };
    let width = number.width();
    if !bytes.len().is_multiple_of(width) {
        return Err(format!(
            "decoded array has {} bytes, not a whole number of {} values",
            bytes.len(),
            number.label()
        ));
    }
    out.reserve(bytes.len() / width);
    match number {
        NumberType::F16 => out.extend(bytes.chunks_exact(2).map(|c| f16_to_f64(u16::from_le_bytes([c[0], c[1]])))),
        NumberType::F32 => {
            out.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
        }
        NumberType::F64 => out.extend(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(eight(c)))),
        NumberType::I32 => {
            out.extend(bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
        }
        NumberType::I64 => out.extend(bytes.chunks_exact(8).map(|c| i64::from_le_bytes(eight(c)) as f64)),
    }
    Ok(())
}

fn eight(c: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(c);
    a
}

/// `256 MiB`, `64 KiB`: limits as people read them.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{} MiB", bytes >> 20) } else { format!("{} KiB", bytes >> 10) }
}

/// Inflates zlib data, refusing output beyond `limit` bytes.
fn inflate(raw: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(raw)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("zlib data is corrupt: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("zlib data inflates beyond {} from {} compressed bytes", size(limit), raw.len()));
    }
    Ok(out)
}

fn base64_message(e: base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(offset, byte) => {
            format!("invalid base64 character {:?} at offset {offset}", char::from(byte))
        }
        base64::DecodeError::InvalidLength(len) => format!("base64 text has an impossible length {len}"),
        base64::DecodeError::InvalidLastSymbol(offset, byte) => {
            format!("invalid last base64 character {:?} at offset {offset}", char::from(byte))
        }
        base64::DecodeError::InvalidPadding => "invalid base64 padding".to_string(),
    }
}

/// IEEE 754 half precision to double (exact: every half is a double).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.encode(bytes).into_bytes()
    }

    #[test]
    fn decodes_each_number_type() {
        let mut out = Vec::new();
        let f64s: Vec<u8> = [1.5f64, -2.25].iter().flat_map(|v| v.to_le_bytes()).collect();
        decode(&encode(&f64s), NumberType::F64, Compression::None, MAX_DECODED_BYTES, &mut out).unwrap();
        assert_eq!(out, [1.5, -2.25]);
        let i32s: Vec<u8> = [7i32, -3].iter().flat_map(|v| v.to_le_bytes()).collect();
        decode(&encode(&i32s), NumberType::I32, Compression::None, MAX_DECODED_BYTES, &mut out).unwrap();
        assert_eq!(out, [7.0, -3.0]);
        let i64s: Vec<u8> = [1i64 << 40].iter().flat_map(|v| v.to_le_bytes()).collect();
        decode(&encode(&i64s), NumberType::I64, Compression::None, MAX_DECODED_BYTES, &mut out).unwrap();
        assert_eq!(out, [(1u64 << 40) as f64]);
        // 1.0, -2.0 and 65504 (largest half) in IEEE half precision.
        let halves: Vec<u8> = [0x3c00u16, 0xc000, 0x7bff].iter().flat_map(|v| v.to_le_bytes()).collect();
        decode(&encode(&halves), NumberType::F16, Compression::None, MAX_DECODED_BYTES, &mut out).unwrap();
        assert_eq!(out, [1.0, -2.0, 65504.0]);
    }

    #[test]
    fn decodes_zlib_and_wrapped_base64() {
        use std::io::Write;
        let f32s: Vec<u8> = [3.5f32, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&f32s).unwrap();
        let mut text = encode(&z.finish().unwrap());
        text.insert(4, b'\n');
        let mut out = Vec::new();
        decode(&text, NumberType::F32, Compression::Zlib, MAX_DECODED_BYTES, &mut out).unwrap();
        assert_eq!(out, [3.5, 4.0]);
    }

    #[test]
    fn refuses_bad_base64_odd_lengths_corrupt_zlib_and_bombs() {
        use std::io::Write;
        let mut out = Vec::new();
        let e = decode(b"AAAA!AAA", NumberType::F32, Compression::None, MAX_DECODED_BYTES, &mut out).unwrap_err();
        assert_eq!(e, "invalid base64 character '!' at offset 4");
        let e =
            decode(&encode(&[0, 0, 0]), NumberType::F32, Compression::None, MAX_DECODED_BYTES, &mut out).unwrap_err();
        assert!(e.contains("3 bytes, not a whole number of 32-bit float"), "{e}");
        let e = decode(&encode(b"not zlib"), NumberType::F32, Compression::Zlib, 1 << 20, &mut out).unwrap_err();
        assert!(e.starts_with("zlib data is corrupt"), "{e}");
        // 8 MiB of zeros compress to about 8 KiB; the limit is lowered to keep the test light.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 8 << 20]).unwrap();
        let bomb = encode(&z.finish().unwrap());
        let e = decode(&bomb, NumberType::F64, Compression::Zlib, 1 << 20, &mut out).unwrap_err();
        assert!(e.starts_with("zlib data inflates beyond 1 MiB from"), "{e}");
        let e = decode(&encode(&[0u8; 4096]), NumberType::F64, Compression::None, 1024, &mut out).unwrap_err();
        assert_eq!(e, "array is larger than 1 KiB");
    }
}

//! QR codes for presentations (byte mode, error correction level M).

use qrcode::{EcLevel, QrCode};

use crate::{Error, Result};

/// A QR code holding `bytes`, or [`Error::TooLargeForQr`].
pub fn encode(bytes: &[u8]) -> Result<QrCode> {
    QrCode::with_error_correction_level(bytes, EcLevel::M)
        .map_err(|_| Error::TooLargeForQr { bytes: bytes.len() })
}

/// The QR version (1–40) needed for `bytes` at level M.
pub fn version(code: &QrCode) -> i16 {
    match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}

/// An SVG image of the code.
pub fn to_svg(code: &QrCode) -> String {
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build()
}

/// The code drawn with Unicode half blocks, for a terminal.
pub fn to_terminal(code: &QrCode) -> String {
    code.render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build()
}

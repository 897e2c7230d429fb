//! QR codes of `otpauth://` URIs for authenticator apps: as SVG for the enrolment answer, and
//! in Unicode half blocks for a terminal (the demo). Both hold the secret: they go to the
//! person enrolling, never to a log.

use qrcode::QrCode;
use qrcode::render::{svg, unicode};
use secrecy::{ExposeSecret, SecretString};

/// The URI's QR code as a standalone SVG document.
pub fn svg(uri: &SecretString) -> Result<SecretString, qrcode::types::QrError> {
    let code = QrCode::new(uri.expose_secret().as_bytes())?;
    Ok(SecretString::from(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
    ))
}

/// The URI's QR code in Unicode half blocks (two modules per character), dark on light, for a
/// terminal.
pub fn terminal(uri: &SecretString) -> Result<SecretString, qrcode::types::QrError> {
    let code = QrCode::new(uri.expose_secret().as_bytes())?;
    Ok(SecretString::from(
        code.render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_renders_as_svg_and_as_terminal_blocks() {
        let uri = SecretString::from(
            "otpauth://totp/FinHub%201234567:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\
             &issuer=FinHub%201234567&algorithm=SHA1&digits=6&period=30",
        );
        let image = svg(&uri).expect("svg");
        assert!(image.expose_secret().contains("<svg"));
        assert!(image.expose_secret().contains("<path"));
        let blocks = terminal(&uri).expect("terminal");
        assert!(blocks.expose_secret().lines().count() > 10);
        assert!(
            blocks.expose_secret().contains('\u{2580}')
                || blocks.expose_secret().contains('\u{2584}')
        );
    }
}

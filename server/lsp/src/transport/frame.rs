//! `Content-Length` framing: reading one frame from the input, skipping the bytes of a
//! refused one, and encoding one message for the output.

use std::io;

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// A header line longer than this is junk: it is skipped in pieces of this size.
const MAX_HEADER_LINE: u64 = 4096;

/// One read from the input.
#[derive(Debug, PartialEq)]
pub(super) enum Frame {
    Body(Vec<u8>),
    /// Headers without a usable `Content-Length`: why, for the error response. The why
    /// never quotes the header: when a body was shorter than announced, "headers" are
    /// the client's document text.
    BadHeaders(String),
    /// A `Content-Length` over the limit. Its body has not been read: [`discard`] it.
    TooLarge(u64),
    /// The input ended (possibly in the middle of a frame).
    End,
}

/// Reads headers up to the blank line that ends them, then the body they announce, if it
/// is at most `max_body` bytes. Bytes that are not a header (the tail of a body whose
/// length was wrong) are skipped up to the next `Content-Length`.
pub(super) async fn read_frame<R: AsyncBufRead + Unpin>(
    input: &mut R,
    max_body: usize,
) -> io::Result<Frame> {
    let mut length = None;
    let mut any_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut *input)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Ok(Frame::End);
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            if any_header && line.ends_with(b"\n") {
                break;
            }
            continue;
        }
        any_header = true;
        if let Some(at) = find_content_length(text) {
            let value = text[at + CONTENT_LENGTH.len()..].trim_ascii();
            length = std::str::from_utf8(value)
                .ok()
                .map(|value| value.parse::<u64>().ok());
        }
    }
    let length = match length {
        None => return Ok(Frame::BadHeaders("no Content-Length header".into())),
        Some(None) => {
            return Ok(Frame::BadHeaders(
                "the Content-Length value is not a length".into(),
            ))
        }
        Some(Some(length)) if length > max_body as u64 => return Ok(Frame::TooLarge(length)),
        Some(Some(length)) => length as usize,
    };
    // Grow with the bytes that really arrive, not with what the header claims.
    let mut body = Vec::with_capacity(length.min(1 << 20));
    (&mut *input)
        .take(length as u64)
        .read_to_end(&mut body)
        .await?;
    if body.len() < length {
        return Ok(Frame::End);
    }
    Ok(Frame::Body(body))
}

/// Skips the `length` bytes of a refused body as they arrive, holding none of them
/// beyond the input's buffer, and without looking inside: whatever they contain, they are
/// the body the client announced. False when the input ends first.
pub(super) async fn discard<R: AsyncBufRead + Unpin>(
    input: &mut R,
    length: u64,
) -> io::Result<bool> {
    let skipped =
        tokio::io::copy_buf(&mut (&mut *input).take(length), &mut tokio::io::sink()).await?;
    Ok(skipped == length)
}

const CONTENT_LENGTH: &[u8] = b"content-length:";

/// Where `Content-Length:` starts in a header line, in any case.
fn find_content_length(line: &[u8]) -> Option<usize> {
    line.windows(CONTENT_LENGTH.len())
        .position(|window| window.eq_ignore_ascii_case(CONTENT_LENGTH))
}

/// A message as one frame, headers and body in one buffer so that it is written at once.
pub(super) fn encode(message: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    let body = serde_json::to_vec(message)?;
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(&body);
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 1 << 20;

    async fn frames_within(mut input: &[u8], limit: usize) -> Vec<Frame> {
        let mut frames = Vec::new();
        loop {
            let frame = read_frame(&mut input, limit).await.unwrap();
            match frame {
                Frame::End => return frames,
                Frame::TooLarge(length) => {
                    frames.push(frame);
                    if !discard(&mut input, length).await.unwrap() {
                        return frames;
                    }
                }
                frame => frames.push(frame),
            }
        }
    }

    async fn frames(input: &[u8]) -> Vec<Frame> {
        frames_within(input, LIMIT).await
    }

    fn body(text: &str) -> Frame {
        Frame::Body(text.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn well_formed_frames() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Length: 4\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\nnull";
        assert_eq!(frames(input).await, [body("{}"), body("null")]);
    }

    #[tokio::test]
    async fn header_names_in_any_case_and_bare_newlines() {
        assert_eq!(frames(b"content-LENGTH:   2 \n\n{}").await, [body("{}")]);
    }

    #[tokio::test]
    async fn bad_lengths_are_reported_without_quoting_them_and_reading_goes_on() {
        let input = b"Content-Length: abc\r\n\r\nContent-Length: 99999999999999999999999\r\n\r\nX-Other: 1\r\n\r\nContent-Length: 2\r\n\r\n{}";
        let not_a_length = || Frame::BadHeaders("the Content-Length value is not a length".into());
        assert_eq!(
            frames(input).await,
            [
                not_a_length(),
                not_a_length(),
                Frame::BadHeaders("no Content-Length header".into()),
                body("{}"),
            ]
        );
    }

    /// An over-limit body is skipped whole, unread: the fake frames inside it are not
    /// taken for messages, and reading resumes right after it.
    #[tokio::test]
    async fn an_over_limit_body_is_skipped_without_looking_inside() {
        let fake = b"Content-Length: 2\r\n\r\n{}".repeat(10);
        let mut input = format!("Content-Length: {}\r\n\r\n", fake.len()).into_bytes();
        input.extend_from_slice(&fake);
        input.extend_from_slice(b"Content-Length: 4\r\n\r\ntrue");
        assert_eq!(
            frames_within(&input, 100).await,
            [Frame::TooLarge(fake.len() as u64), body("true")]
        );
        // A body cut short by the end of the input ends the session.
        assert_eq!(
            frames_within(b"Content-Length: 999\r\n\r\nshort", 100).await,
            [Frame::TooLarge(999)]
        );
    }

    /// A body shorter than its `Content-Length` swallows the start of the next frame; the
    /// junk left over is skipped up to the `Content-Length` after it.
    #[tokio::test]
    async fn junk_before_a_header_is_skipped() {
        let input = b"Content-Length: 30\r\n\r\n{\"jsonrpc\"Content-Length: 2\r\n\r\n{}\"rest of a body\"Content-Length: 4\r\n\r\ntrue";
        let found = frames(input).await;
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1], body("true"));
    }

    #[tokio::test]
    async fn a_truncated_body_at_the_end_of_input_ends_the_session() {
        assert_eq!(frames(b"Content-Length: 10\r\n\r\n{\"a\"").await, []);
        assert_eq!(frames(b"Content-Len").await, []);
    }

    #[tokio::test]
    async fn an_endless_header_line_is_skipped_in_pieces() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(frames(&input).await, [body("{}")]);
    }

    #[test]
    fn a_message_is_one_frame() {
        let frame = encode(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(frame, b"Content-Length: 7\r\n\r\n{\"a\":1}");
    }
}

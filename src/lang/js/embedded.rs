//! Code hidden in strings: a program kept in a string literal and started with `eval`,
//! `new Function`, `vm.runIn*Context`, `new vm.Script` or `new Worker(src, { eval: true })`,
//! and base64 literals that decode to an executable, an archive or a WebAssembly module. Each
//! becomes a file of its own (`file.js!/string@OFFSET`) that the scan analyses like any other;
//! the site that runs it links its path to the outer file's entry points.

use oxc::ast::ast::{Argument, Expression, ObjectPropertyKind, PropertyKey};
use oxc::semantic::NodeId;
use oxc::span::GetSpan;

use super::Extractor;
use super::decode::encoding;
use super::resolve::string_value;
use crate::lang::facts::EmbeddedCode;

/// Shortest string worth a file of its own when code runs it (`new Function("return this")`
/// and other one-liners are not programs).
const MIN_RUN_TEXT: usize = 40;
/// Shortest literal taken for a program nothing is seen running: below this, JavaScript-looking
/// strings are templates, snippets and messages.
const MIN_LOOSE_TEXT: usize = 4096;
/// Shortest base64 literal decoded to look for an executable, archive or WebAssembly inside.
const MIN_BASE64: usize = 256;

/// Code pending its run site's path, which needs liveness (worked out once all nodes are seen).
#[derive(Debug)]
pub struct Found {
    pub code: EmbeddedCode,
    /// The call that runs the string, when one was seen.
    pub site: Option<NodeId>,
}

impl<'s, 'a> Extractor<'s, 'a> {
    /// A call or `new` that runs a string as code: records the string when constant code makes it.
    /// `chain` is the callee as the resolver names it.
    pub(super) fn code_runner(&mut self, id: NodeId, chain: &str, arguments: &[Argument<'a>], new: bool) {
        let Some(runner) = runner(chain, arguments, new) else {
            return;
        };
        let code = if runner == "new Function" || runner == "Function" {
            arguments.last()
        } else {
            arguments.first()
        };
        let Some(code) = code.and_then(Argument::as_expression) else {
            return;
        };
        let Some((text, offset, provenance)) = self.code_text(code) else {
            return;
        };
        if text.len() < MIN_RUN_TEXT {
            return;
        }
        self.embedded.retain(|f| f.code.offset != offset);
        self.embedded.push(Found {
            code: EmbeddedCode {
                offset,
                data: text.into_bytes(),
                runner: Some(runner.to_string()),
                provenance,
                site: None,
            },
            site: Some(id),
        });
    }

    /// The text of a string argument: a literal, a constant holding one, or what the decoder
    /// works out; with the offset of the literal it came from and, when decoded, how.
    fn code_text(&mut self, expr: &Expression<'a>) -> Option<(String, u32, Option<String>)> {
        let expr = expr.without_parentheses();
        if let Some(text) = string_value(expr) {
            return Some((text.to_string(), expr.span().start, None));
        }
        if let Expression::Identifier(id) = expr
            && let Some((text, at)) = self.constant_literal(id)
        {
            return Some((text.to_string(), at, None));
        }
        let value = self.decoder.value(expr)?;
        let text = value.as_str()?.to_string();
        let data = value.trail.data();
        let offset = value.trail.literal_span().map_or(expr.span().start, |s| s.start);
        let provenance = data.filter(|d| !d.steps.is_empty()).map(|d| {
            let steps: Vec<&str> = d.steps.iter().map(|s| &**s).collect();
            format!("decoded ({})", steps.join(", then "))
        });
        Some((text, offset, provenance))
    }

    /// A long literal nothing is seen running: kept as a file when it is a whole program that
    /// parses cleanly, or base64 of an executable, archive or WebAssembly module.
    pub(super) fn loose_literal(&mut self, value: &str, at: u32) {
        if value.len() >= MIN_BASE64
            && let Some(bytes) = binary_in_base64(value)
        {
            self.push_loose(at, bytes, Some("decoded (base64)".into()));
            return;
        }
        if value.len() >= MIN_LOOSE_TEXT && looks_like_program(value) {
            self.push_loose(at, value.as_bytes().to_vec(), None);
        }
    }

    fn push_loose(&mut self, offset: u32, data: Vec<u8>, provenance: Option<String>) {
        if self.embedded.iter().any(|f| f.code.offset == offset) {
            return;
        }
        self.embedded.push(Found {
            code: EmbeddedCode {
                offset,
                data,
                runner: None,
                provenance,
                site: None,
            },
            site: None,
        });
    }
}

/// Whether a callee whose last name is `last` may run a string as code (an alias may too).
pub(super) fn may_run_code(last: &str) -> bool {
    matches!(
        last,
        "eval"
            | "Function"
            | "runInThisContext"
            | "runInNewContext"
            | "runInContext"
            | "compileFunction"
            | "Script"
            | "_compile"
            | "Worker"
    )
}

/// What runs its argument as code, named as a reader knows it.
fn runner(chain: &str, arguments: &[Argument<'_>], new: bool) -> Option<&'static str> {
    let last = chain.rsplit('.').next().unwrap_or_default();
    let runner = match (new, chain, last) {
        (false, "eval" | "globalThis.eval" | "window.eval", _) => "eval",
        (_, "Function" | "globalThis.Function", _) => {
            if new {
                "new Function"
            } else {
                "Function"
            }
        }
        (false, _, "runInThisContext") => "vm.runInThisContext",
        (false, _, "runInNewContext") => "vm.runInNewContext",
        (false, _, "runInContext") if chain.starts_with("vm.") => "vm.runInContext",
        (false, _, "compileFunction") if chain.starts_with("vm.") => "vm.compileFunction",
        (true, _, "Script") if chain.starts_with("vm.") => "new vm.Script",
        (false, _, "_compile") if arguments.len() == 2 => "Module._compile",
        (true, _, "Worker") if arguments.get(1).is_some_and(evaluates_source) => "new Worker(…, { eval: true })",
        _ => return None,
    };
    Some(runner)
}

/// The text of the string literal that starts at `offset` in `source`, as a file made from it
/// holds it: the literal's value, or what its base64 decodes to when that is text. `None` when
/// no literal starts there.
pub fn string_at(source: &str, offset: usize) -> Option<String> {
    let bytes = source.as_bytes();
    let quote = *bytes.get(offset)?;
    if !matches!(quote, b'"' | b'\'' | b'`') {
        return None;
    }
    let mut at = offset + 1;
    loop {
        match *bytes.get(at)? {
            b'\\' => at += 2,
            b'$' if quote == b'`' && bytes.get(at + 1) == Some(&b'{') => return None,
            c if c == quote => break,
            _ => at += 1,
        }
    }
    let allocator = oxc::allocator::Allocator::default();
    let literal = source.get(offset..=at)?;
    let expr = oxc::parser::Parser::new(&allocator, literal, oxc::span::SourceType::default())
        .parse_expression()
        .ok()?;
    let value = string_value(&expr)?;
    let decoded = (value.len() >= 64)
        .then(|| encoding::base64(value))
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    Some(decoded.unwrap_or_else(|| value.to_string()))
}

/// `{ eval: true }` (or `!0`) in a `Worker`'s options: the first argument is source, not a path.
fn evaluates_source(argument: &Argument<'_>) -> bool {
    let Some(Expression::ObjectExpression(object)) = argument.as_expression().map(Expression::without_parentheses)
    else {
        return false;
    };
    object.properties.iter().any(|p| {
        let ObjectPropertyKind::ObjectProperty(p) = p else {
            return false;
        };
        matches!(&p.key, PropertyKey::StaticIdentifier(k) if k.name == "eval") && super::is_true(&p.value)
    })
}

/// The bytes of a base64 literal (or `data:…;base64,` URL) that holds an executable, an
/// archive or a WebAssembly module.
fn binary_in_base64(value: &str) -> Option<Vec<u8>> {
    let body = match value.strip_prefix("data:") {
        Some(url) => &url[url.find(";base64,")? + ";base64,".len()..],
        None => value,
    };
    if !body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
    {
        return None;
    }
    let head = encoding::base64(&body[..64.min(body.len() & !3)])?;
    if !crate::package::is_container(&head) {
        return None;
    }
    encoding::base64(body)
}

/// Whether a string is a program: statements a parser accepts without error, with calls or
/// functions in them (not prose, CSS, HTML or JSON, which rarely parse cleanly or have none).
fn looks_like_program(text: &str) -> bool {
    let sample = &text.as_bytes()[..text.len().min(2048)];
    let code_marks = [
        &b"function"[..],
        b"=>",
        b"require(",
        b"return",
        b"var ",
        b"const ",
        b"let ",
    ]
    .iter()
    .filter(|mark| sample.windows(mark.len()).any(|w| w == **mark))
    .count();
    let punctuation = sample
        .iter()
        .filter(|b| matches!(b, b';' | b'{' | b'}' | b'(' | b')'))
        .count();
    if code_marks < 2 || punctuation * 40 < sample.len() {
        return false;
    }
    let allocator = oxc::allocator::Allocator::default();
    let parsed = oxc::parser::Parser::new(&allocator, text, oxc::span::SourceType::unambiguous()).parse();
    !parsed.panicked && parsed.diagnostics.errors().next().is_none() && !parsed.program.body.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_webassembly_is_binary_and_of_text_is_not() {
        let wasm = encoding::base64_encode(&[&b"\0asm\x01\0\0\0"[..], &[7u8; 300]].concat());
        assert_eq!(&binary_in_base64(&wasm).unwrap()[..4], b"\0asm");
        let url = format!("data:application/wasm;base64,{wasm}");
        assert!(binary_in_base64(&url).is_some());
        let text = encoding::base64_encode(&[b'a'; 400]);
        assert!(binary_in_base64(&text).is_none());
        assert!(binary_in_base64("not base64 at all, with spaces").is_none());
    }

    #[test]
    fn the_text_of_a_string_file_is_read_back_from_its_literal() {
        let source = r#"var a="x\ty",b=`tpl ${c}`,d='cmVxdWlyZSgib3MiKS5ob3N0bmFtZSgpOyByZXF1aXJlKCJvcyIpLnVzZXJJbmZvKCk7IC8vIG1vcmU=';"#;
        assert_eq!(string_at(source, 6).as_deref(), Some("x\ty"));
        assert_eq!(
            string_at(source, 15),
            None,
            "a template with substitutions is no constant"
        );
        let d = source.find('\'').unwrap();
        assert_eq!(
            string_at(source, d).as_deref(),
            Some("require(\"os\").hostname(); require(\"os\").userInfo(); // more")
        );
        assert_eq!(string_at(source, 0), None, "no literal starts there");
        assert_eq!(string_at("\"unterminated", 0), None);
    }

    #[test]
    fn a_program_is_told_from_prose_css_and_json() {
        let program = "var os=require('os');function f(){return os.hostname()}module.exports=f;".repeat(3);
        assert!(looks_like_program(&program));
        assert!(!looks_like_program(
            &"The function returns a value; see (docs). ".repeat(20)
        ));
        assert!(!looks_like_program(&".a{color:red}.b{margin:0}".repeat(20)));
        assert!(!looks_like_program(&"{\"a\":[1,2,3],\"b\":{\"c\":null}}".repeat(20)));
        assert!(!looks_like_program("function (broken { return"));
    }
}

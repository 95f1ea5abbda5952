//! Readable excerpts of a source file around a byte span, for the page's source view.
//!
//! Short lines are shown as the file has them. Minified code (one line of megabytes) is shown
//! as a window of a few kilobytes around the span, broken into lines at block and statement
//! boundaries by a token-aware scanner that never breaks inside a string, template, regular
//! expression or comment. Nothing is rewritten: every excerpt line is a slice of the original
//! text with its original byte range, line and column, so a finding's span maps onto it exactly.
//!
//! A reformatting printer (oxc's codegen with a source map) would need the whole file parsed
//! again for every look and maps only token by token; a window of original slices needs one
//! byte scan and keeps offsets exact.

use serde::{Deserialize, Serialize};

use crate::report::Span;

/// How much to show around the span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcerptOptions {
    /// Original lines shown before and after the span's lines.
    pub context_lines: u32,
    /// Bytes shown before and after the span when the code is reformatted.
    pub context_bytes: u32,
    /// A line longer than this is minified code: it is reformatted rather than shown whole.
    pub long_line: u32,
}

impl Default for ExcerptOptions {
    fn default() -> Self {
        ExcerptOptions {
            context_lines: 40,
            context_bytes: 3000,
            long_line: 400,
        }
    }
}

/// The part of a file around a span, ready to show line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    /// True when the lines were made by breaking minified code; false when they are the
    /// file's own lines.
    pub reformatted: bool,
    /// The span asked for, clamped to the file.
    pub span: Span,
    /// Bytes in the whole file.
    pub file_bytes: u32,
    pub lines: Vec<ExcerptLine>,
}

/// One line of an excerpt: a slice of the original file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcerptLine {
    /// Byte range of the file this line shows, end exclusive.
    pub start: u32,
    pub end: u32,
    /// 1-based line and byte column of `start` in the original file.
    pub line: u32,
    pub column: u32,
    /// Nesting depth in braces, for indenting reformatted lines (0 for original lines).
    pub depth: u16,
    /// `file[start..end]`; a cut line ends before the original line does.
    pub text: String,
}

/// Lines of reformatted code are broken at commas once they are this long.
const WIDE: usize = 100;
/// Indentation stops growing here: deeper code would be pushed off the screen.
const MAX_DEPTH: u16 = 24;
/// The span itself is shown up to this many bytes; the rest of a huge expression is cut.
const MAX_SPAN: usize = 4000;

/// The excerpt of `source` around `span`.
pub fn excerpt(source: &str, span: Span, options: &ExcerptOptions) -> Excerpt {
    let len = source.len();
    let start = floor_boundary(source, (span.start as usize).min(len));
    let end = floor_boundary(source, (span.end as usize).clamp(start, len));
    let bytes = source.as_bytes();
    let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &bytes[start..]).map_or(len, |i| start + i);
    let reformatted = line_end - line_start > options.long_line as usize;
    let lines = if reformatted {
        reformatted_lines(source, start, end, options)
    } else {
        original_lines(source, line_start, end, options)
    };
    Excerpt {
        reformatted,
        span: Span {
            start: start as u32,
            end: end as u32,
        },
        file_bytes: len as u32,
        lines,
    }
}

/// The file's own lines from `context_lines` before `first_line_start` to as many after `end`;
/// a line longer than `long_line` is cut.
fn original_lines(source: &str, first_line_start: usize, end: usize, options: &ExcerptOptions) -> Vec<ExcerptLine> {
    let bytes = source.as_bytes();
    let mut from = first_line_start;
    for _ in 0..options.context_lines {
        if from == 0 {
            break;
        }
        from = memchr::memrchr(b'\n', &bytes[..from - 1]).map_or(0, |i| i + 1);
    }
    let mut number = line_number(bytes, from);
    let mut lines = Vec::new();
    let mut at = from;
    let mut after_end = 0;
    while at <= source.len() {
        let stop = memchr::memchr(b'\n', &bytes[at..]).map_or(source.len(), |i| at + i);
        let shown = floor_boundary(source, stop.min(at + options.long_line as usize));
        let text = source[at..shown].trim_end_matches('\r');
        lines.push(ExcerptLine {
            start: at as u32,
            end: (at + text.len()) as u32,
            line: number,
            column: 1,
            depth: 0,
            text: text.to_string(),
        });
        if stop >= end {
            after_end += 1;
        }
        if stop == source.len() || after_end > options.context_lines {
            break;
        }
        at = stop + 1;
        number += 1;
    }
    lines
}

/// A window of `context_bytes` either side of the span, broken into readable lines.
fn reformatted_lines(source: &str, start: usize, end: usize, options: &ExcerptOptions) -> Vec<ExcerptLine> {
    let context = options.context_bytes as usize;
    let from = start.saturating_sub(context);
    let to = (end.min(start + MAX_SPAN) + context).min(source.len());
    let mut builder = LineBuilder {
        source,
        from,
        to,
        lines: Vec::new(),
        open: None,
        line: 1,
        line_start: 0,
        line_counted_to: 0,
    };
    scan(source, to, &mut builder);
    builder.close(to);
    builder.lines
}

/// Collects lines from the tokens the scanner reports: a new line starts where the scanner
/// asks for a break, at the first token of the window, and after an original newline.
struct LineBuilder<'s> {
    source: &'s str,
    from: usize,
    to: usize,
    lines: Vec<ExcerptLine>,
    /// Start and depth of the line being built.
    open: Option<(usize, u16)>,
    /// Line number and line start of `line_counted_to`, kept as the lines move forward.
    line: u32,
    line_start: usize,
    line_counted_to: usize,
}

impl LineBuilder<'_> {
    /// A token at `at`; `new_line` when it should start a line.
    fn token(&mut self, at: usize, depth: u16, new_line: bool) {
        if at < self.from || at >= self.to {
            return;
        }
        match self.open {
            None => self.open = Some((at, depth)),
            Some(_) if new_line => {
                self.close(at);
                self.open = Some((at, depth));
            }
            Some(_) => {}
        }
    }

    fn close(&mut self, at: usize) {
        let Some((start, depth)) = self.open.take() else { return };
        let end = floor_boundary(self.source, at);
        let text = self.source[start..end].trim_end();
        if text.is_empty() {
            return;
        }
        // Counted from the previous line on, so a window deep in a huge file costs one pass.
        let skipped = &self.source.as_bytes()[self.line_counted_to..start];
        self.line += memchr::memchr_iter(b'\n', skipped).count() as u32;
        if let Some(i) = memchr::memrchr(b'\n', skipped) {
            self.line_start = self.line_counted_to + i + 1;
        }
        self.line_counted_to = start;
        let line_start = self.line_start;
        self.lines.push(ExcerptLine {
            start: start as u32,
            end: (start + text.len()) as u32,
            line: self.line,
            column: (start - line_start + 1) as u32,
            depth: depth.min(MAX_DEPTH),
            text: text.to_string(),
        });
    }
}

/// What came before, for telling a regular expression from a division and for line breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// Start of input, an operator, or a keyword after which an expression starts.
    Operator,
    /// An identifier, number, string, template, regex, `)` or `]`: a `/` here divides.
    Value,
    Punct(u8),
}

/// What an open bracket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Brace,
    Paren,
    Square,
    /// `${` inside a template: its `}` goes back to the template's text.
    TemplateExpression,
}

/// Scans `source` from its start up to `to`, reporting each token to `builder` with whether a
/// line break belongs before it. Scanning from the start keeps the state (inside a string,
/// template or comment) right wherever the window begins.
fn scan(source: &str, to: usize, builder: &mut LineBuilder<'_>) {
    let bytes = source.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut previous = Previous::Operator;
    let mut newline_before = false;
    // A block comment runs on into the code after it.
    let mut after_comment = false;
    // Inside a template's text (after a backtick or a `}` closing `${`).
    let mut in_template = false;
    let mut line_width_from = 0usize;
    let mut at = 0usize;
    let depth = |stack: &[Open]| stack.iter().filter(|o| **o == Open::Brace).count() as u16;
    while at < to {
        if in_template {
            let (stop, closed) = template_text(bytes, at);
            builder.token(at, depth(&stack), false);
            at = stop;
            if closed {
                in_template = false;
                previous = Previous::Value;
            } else {
                stack.push(Open::TemplateExpression);
                in_template = false;
                previous = Previous::Operator;
            }
            continue;
        }
        let byte = bytes[at];
        if byte == b'\n' {
            newline_before = true;
            at += 1;
            continue;
        }
        if byte.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        let token_start = at;
        let innermost = stack.last().copied();
        let break_before = newline_before
            || !after_comment
                && match (previous, byte) {
                    (Previous::Punct(b'{'), b'}') => false,
                    (Previous::Punct(b'{'), _) => true,
                    (_, b'}') => innermost == Some(Open::Brace),
                    (Previous::Punct(b'}'), next) => !b")]},;.?:".contains(&next) && !continues_block(bytes, at),
                    (Previous::Punct(b';'), _) => innermost != Some(Open::Paren),
                    (Previous::Punct(b','), _) => {
                        innermost == Some(Open::Brace) || at.saturating_sub(line_width_from) > WIDE
                    }
                    _ => false,
                };
        newline_before = false;
        after_comment = false;
        if break_before {
            line_width_from = at;
        }
        // A closing brace sits at the depth of what it closes.
        let token_depth = if byte == b'}' && innermost == Some(Open::Brace) {
            depth(&stack).saturating_sub(1)
        } else {
            depth(&stack)
        };
        builder.token(token_start, token_depth, break_before);
        match byte {
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at = memchr::memmem::find(&bytes[at + 2..], b"*/").map_or(bytes.len(), |i| at + 2 + i + 2);
                after_comment = true;
                continue;
            }
            b'/' if previous != Previous::Value => {
                at = regex_end(bytes, at);
                previous = Previous::Value;
            }
            b'\'' | b'"' => {
                at = string_end(bytes, at);
                previous = Previous::Value;
            }
            b'`' => {
                at += 1;
                in_template = true;
            }
            b'{' => {
                stack.push(Open::Brace);
                at += 1;
                previous = Previous::Punct(b'{');
            }
            b'(' | b'[' => {
                stack.push(if byte == b'(' { Open::Paren } else { Open::Square });
                at += 1;
                previous = Previous::Operator;
            }
            b'}' => {
                at += 1;
                if stack.pop() == Some(Open::TemplateExpression) {
                    in_template = true;
                } else {
                    previous = Previous::Punct(b'}');
                }
            }
            b')' | b']' => {
                stack.pop();
                at += 1;
                previous = Previous::Value;
            }
            b';' | b',' => {
                at += 1;
                previous = Previous::Punct(byte);
            }
            _ if is_word(byte) => {
                let stop = bytes[at..]
                    .iter()
                    .position(|&b| !is_word(b))
                    .map_or(bytes.len(), |i| at + i);
                previous = if EXPRESSION_KEYWORDS.contains(&&bytes[at..stop]) {
                    Previous::Operator
                } else {
                    Previous::Value
                };
                at = stop;
            }
            _ => {
                at += 1;
                previous = Previous::Operator;
            }
        }
    }
}

/// Keywords after which a `/` starts a regular expression.
const EXPRESSION_KEYWORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
];

/// Identifier and number characters; bytes of non-ASCII characters count as such, so a scan
/// never stops inside one.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

/// `} else`, `} catch`, `} finally`, `} while`: the block goes on on the same line.
fn continues_block(bytes: &[u8], at: usize) -> bool {
    ["else", "catch", "finally", "while"].iter().any(|word| {
        bytes[at..].starts_with(word.as_bytes()) && !bytes.get(at + word.len()).is_some_and(|&b| is_word(b))
    })
}

/// The end of the string literal opened at `at` (an unescaped matching quote, or the line end).
fn string_end(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of the regular expression opened at `at`, flags included. A `/` inside a character
/// class does not end it.
fn regex_end(bytes: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return i,
            b'[' => {
                in_class = true;
                i += 1;
            }
            b']' => {
                in_class = false;
                i += 1;
            }
            b'/' if !in_class => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return i;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of template text starting at `at`: after the closing backtick (`true`) or after a
/// `${` (`false`).
fn template_text(bytes: &[u8], at: usize) -> (usize, bool) {
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => return (i + 1, true),
            b'$' if bytes.get(i + 1) == Some(&b'{') => return (i + 2, false),
            _ => i += 1,
        }
    }
    (bytes.len(), true)
}

/// 1-based number of the line holding byte `at`.
fn line_number(bytes: &[u8], at: usize) -> u32 {
    memchr::memchr_iter(b'\n', &bytes[..at]).count() as u32 + 1
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// Every line is the original text at its range, in order, and its line/column are right.
    fn assert_faithful(source: &str, excerpt: &Excerpt) {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        for line in &excerpt.lines {
            let (start, end) = (line.start as usize, line.end as usize);
            assert_eq!(&source[start..end], line.text, "{line:?}");
            let number = starts.partition_point(|&s| s <= start);
            assert_eq!(line.line as usize, number, "{line:?}");
            assert_eq!(line.column as usize, start - starts[number - 1] + 1, "{line:?}");
        }
        for pair in excerpt.lines.windows(2) {
            assert!(pair[0].end <= pair[1].start, "lines overlap: {pair:?}");
        }
    }

    fn texts(excerpt: &Excerpt) -> Vec<String> {
        excerpt
            .lines
            .iter()
            .map(|l| format!("{}{}", "  ".repeat(l.depth as usize), l.text))
            .collect()
    }

    #[test]
    fn short_lines_are_shown_as_they_are() {
        let source = "const a = 1;\nconst tz = Intl.DateTimeFormat().resolvedOptions().timeZone;\nfetch(u, {tz});\n";
        let at = source.find("Intl").unwrap();
        let options = ExcerptOptions {
            context_lines: 1,
            ..ExcerptOptions::default()
        };
        let excerpt = excerpt(source, span(at, at + 4), &options);
        assert!(!excerpt.reformatted);
        let numbers: Vec<u32> = excerpt.lines.iter().map(|l| l.line).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(
            excerpt.lines[1].text,
            "const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;"
        );
        assert_faithful(source, &excerpt);
    }

    #[test]
    fn context_is_limited_to_the_lines_asked_for() {
        let source: String = (1..=200).map(|i| format!("line{i}();\n")).collect();
        let at = source.find("line100(").unwrap();
        let options = ExcerptOptions {
            context_lines: 5,
            ..ExcerptOptions::default()
        };
        let excerpt = excerpt(&source, span(at, at + 7), &options);
        assert_eq!(excerpt.lines.first().unwrap().line, 95);
        assert_eq!(excerpt.lines.last().unwrap().line, 105);
        assert_faithful(&source, &excerpt);
    }

    #[test]
    fn minified_code_is_broken_at_blocks_and_statements() {
        let body = "function f(a,b){if(a){return b}else{x=1;y=2}for(let i=0;i<3;i++){g(i)}return{k:1,v:2}}";
        let source = format!("{}{body}", "var z=0;".repeat(60));
        let at = source.find("return b").unwrap();
        let excerpt = excerpt(&source, span(at, at + 8), &ExcerptOptions::default());
        assert!(excerpt.reformatted);
        assert_faithful(&source, &excerpt);
        let shown = texts(&excerpt);
        let tail: Vec<&str> = shown
            .iter()
            .map(String::as_str)
            .skip_while(|l| !l.starts_with("function"))
            .collect();
        assert_eq!(
            tail,
            [
                "function f(a,b){",
                "  if(a){",
                "    return b",
                "  }else{",
                "    x=1;",
                "    y=2",
                "  }",
                "  for(let i=0;i<3;i++){",
                "    g(i)",
                "  }",
                "  return{",
                "    k:1,",
                "    v:2",
                "  }",
                "}",
            ]
        );
    }

    #[test]
    fn strings_templates_regexes_and_comments_are_never_broken() {
        let body = concat!(
            r#"a="x;{y},z";b='}{;';c=`t{;${d+`in;{`}};`;e=/[/;{]}/g.test(s);"#,
            "/* {;} */f=2;// g;{\nh=3;i=x/2/y;",
        );
        let source = format!("{}{body}", "q=0;".repeat(120));
        let at = source.find("a=\"").unwrap();
        let excerpt = excerpt(&source, span(at, at + 1), &ExcerptOptions::default());
        assert!(excerpt.reformatted);
        assert_faithful(&source, &excerpt);
        let shown = texts(&excerpt);
        let tail: Vec<&str> = shown
            .iter()
            .map(String::as_str)
            .skip_while(|l| !l.starts_with("a="))
            .collect();
        assert_eq!(
            tail,
            [
                r#"a="x;{y},z";"#,
                "b='}{;';",
                "c=`t{;${d+`in;{`}};`;",
                "e=/[/;{]}/g.test(s);",
                "/* {;} */f=2;",
                "// g;{",
                "h=3;",
                "i=x/2/y;"
            ]
        );
    }

    #[test]
    fn the_window_is_bounded_in_a_huge_line_and_maps_back() {
        let unit = "function a(b){return b.c(d,{e:1})};";
        let source = unit.repeat(210_000);
        assert!(source.len() > 7_000_000);
        let at = source.len() / 2 + 3;
        let at = at - at % unit.len() + unit.find("b.c").unwrap();
        let excerpt = excerpt(&source, span(at, at + 3), &ExcerptOptions::default());
        assert!(excerpt.reformatted);
        let shown: usize = excerpt.lines.iter().map(|l| l.text.len()).sum();
        assert!(shown < 8000, "{shown} bytes shown");
        assert_faithful(&source, &excerpt);
        let holder = excerpt
            .lines
            .iter()
            .find(|l| (l.start as usize) <= at && at < l.end as usize)
            .expect("a line holds the span");
        assert!(holder.text.starts_with("return b.c("), "{holder:?}");
        assert!(excerpt.lines.iter().all(|l| l.line == 1));
    }

    #[test]
    fn long_comma_lists_wrap() {
        let list: Vec<String> = (0..60).map(|i| format!("fn{i}(x)")).collect();
        let source = format!("call({});", list.join(","));
        let excerpt = excerpt(&source, span(0, 4), &ExcerptOptions::default());
        assert!(excerpt.reformatted);
        assert_faithful(&source, &excerpt);
        assert!(excerpt.lines.len() > 3);
        assert!(
            excerpt.lines.iter().all(|l| l.text.len() < 140),
            "{:?}",
            texts(&excerpt)
        );
    }

    #[test]
    fn any_span_in_multibyte_text_is_safe() {
        let source = format!(
            "{}é😀\"ü;{{}}\"`😀${{x}}`;\n{}",
            "x=\"ç\";".repeat(80),
            "y();".repeat(3)
        );
        for start in 0..source.len() {
            for width in [0, 1, 5] {
                let excerpt = excerpt(&source, span(start, start + width), &ExcerptOptions::default());
                assert_faithful(&source, &excerpt);
                assert!(!excerpt.lines.is_empty());
            }
        }
        let past_end = excerpt(
            &source,
            span(source.len() + 10, source.len() + 20),
            &ExcerptOptions::default(),
        );
        assert_eq!(past_end.span.start as usize, source.len());
    }

    #[test]
    fn empty_file() {
        let excerpt = excerpt("", span(0, 0), &ExcerptOptions::default());
        assert!(!excerpt.reformatted);
        assert_eq!(excerpt.lines.len(), 1);
        assert_eq!(excerpt.lines[0].text, "");
    }
}

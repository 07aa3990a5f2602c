//! Finds quote-marked spans in the raw characters, before any tokenising.
//!
//! News text mixes curly (“…”) and straight ("…") marks, runs quotes over several paragraphs (an
//! opening mark on each paragraph, a closing mark only on the last) and nests quotes in single marks
//! (‘…’ or '…'). This module pairs the marks paragraph by paragraph in one linear pass and returns
//! [`QuoteUnit`]s: one unit per quotation, with one part per paragraph and the embedded quotes found
//! inside its parts. Unbalanced marks never panic: an opening mark with no partner is dropped unless
//! the next paragraph continues the quotation.

/// One quote-marked stretch inside a single paragraph. Offsets are char indices into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuotePart {
    /// Index of the opening mark.
    pub open: usize,
    /// First character inside the marks.
    pub start: usize,
    /// One past the last character inside the marks.
    pub end: usize,
    /// Index of the closing mark, `None` when the quotation continues in the next paragraph.
    pub close: Option<usize>,
}

/// A whole quotation: its parts (one per paragraph) and the quotes embedded in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuoteUnit {
    pub parts: Vec<QuotePart>,
    pub nested: Vec<QuotePart>,
}

impl QuoteUnit {
    /// First character inside the marks of the first part.
    pub(crate) fn start(&self) -> usize {
        self.parts.first().map_or(0, |p| p.start)
    }

    /// Index of the final closing mark, if the quotation is closed.
    pub(crate) fn close(&self) -> Option<usize> {
        self.parts.last().and_then(|p| p.close)
    }
}

/// True for the marks that can open a double-quoted span.
fn is_double_open(c: char) -> bool {
    matches!(c, '“' | '„' | '«' | '"')
}

/// True for the marks that can close a double-quoted span.
fn is_double_close(c: char) -> bool {
    matches!(c, '”' | '»' | '"')
}

/// Paragraph ranges `[start, end)` in chars: text between newlines, trimmed, empty ones skipped.
pub(crate) fn paragraphs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=chars.len() {
        if i == chars.len() || chars[i] == '\n' {
            let (s, e) = trim(chars, start, i);
            if s < e {
                out.push((s, e));
            }
            start = i + 1;
        }
    }
    out
}

/// Narrows `[s, e)` so that it neither starts nor ends with whitespace.
pub(crate) fn trim(chars: &[char], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// Whether a straight mark `[i, i + w)` opens (rather than closes) a quotation, judged by its
/// neighbours.
fn straight_opens(chars: &[char], i: usize, w: usize, para_start: usize) -> bool {
    let prev = if i > para_start {
        chars.get(i - 1).copied()
    } else {
        None
    };
    let next = chars.get(i + w).copied();
    let prev_ok = prev.is_none_or(|c| c.is_whitespace() || "([{—–-/:".contains(c));
    prev_ok && next.is_some_and(|c| !c.is_whitespace())
}

/// The double mark at `i`, if any: its kind and width. Two apostrophes (`''`, a typewriter
/// convention in some wire copy) count as one straight mark of width 2.
fn mark_at(chars: &[char], i: usize, pe: usize) -> Option<(char, usize)> {
    let c = chars[i];
    if c == '\'' && i + 1 < pe && chars[i + 1] == '\'' {
        return Some(('"', 2));
    }
    (is_double_open(c) || is_double_close(c)).then_some((c, 1))
}

/// Pairs the double marks of one paragraph; returns the closed parts and a trailing unclosed one.
fn pair_paragraph(chars: &[char], ps: usize, pe: usize) -> (Vec<QuotePart>, Option<QuotePart>) {
    let mut parts = Vec::new();
    // The open mark: position, width, and whether it is straight.
    let mut open: Option<(usize, usize, bool)> = None;
    let mut i = ps;
    while i < pe {
        let Some((c, w)) = mark_at(chars, i, pe) else {
            i += 1;
            continue;
        };
        let straight = c == '"';
        match open {
            None if is_double_open(c) && (!straight || straight_opens(chars, i, w, ps)) => {
                open = Some((i, w, straight));
            }
            Some((o, ow, o_straight))
                if is_double_close(c)
                    && (!straight || o_straight || !straight_opens(chars, i, w, ps)) =>
            {
                if o + ow < i {
                    parts.push(QuotePart {
                        open: o,
                        start: o + ow,
                        end: i,
                        close: Some(i),
                    });
                }
                open = None;
            }
            Some(_) if c == '“' || c == '„' => open = Some((i, w, false)),
            _ => {}
        }
        i += w;
    }
    let tail = open.and_then(|(o, ow, _)| {
        let (s, e) = trim(chars, o + ow, pe);
        (s < e).then_some(QuotePart {
            open: o,
            start: s,
            end: e,
            close: None,
        })
    });
    (parts, tail)
}

/// True when paragraph `(ps, pe)` starts with an opening double mark.
fn starts_with_open(chars: &[char], ps: usize, pe: usize) -> bool {
    ps < pe
        && mark_at(chars, ps, pe).is_some_and(|(c, w)| {
            is_double_open(c) && (c != '"' || straight_opens(chars, ps, w, ps))
        })
}

/// All quotations of the text, in order.
pub(crate) fn find_quotes(chars: &[char], paras: &[(usize, usize)]) -> Vec<QuoteUnit> {
    let mut units = Vec::new();
    let mut pending: Vec<QuotePart> = Vec::new();
    for (pi, &(ps, pe)) in paras.iter().enumerate() {
        let (mut parts, tail) = pair_paragraph(chars, ps, pe);
        if !pending.is_empty() {
            // The previous paragraph left a quotation open: it continues here only when this
            // paragraph opens with a mark; its first closed part (or open tail) is the next piece.
            let continues = starts_with_open(chars, ps, pe);
            if continues && parts.first().is_some_and(|p| p.open == ps) {
                pending.push(parts.remove(0));
                units.push(close_unit(chars, std::mem::take(&mut pending)));
            } else if continues && parts.is_empty() && tail.is_some_and(|t| t.open == ps) {
                if let Some(t) = tail {
                    pending.push(t);
                }
                continue;
            } else {
                pending.clear();
            }
        }
        units.extend(parts.into_iter().map(|p| close_unit(chars, vec![p])));
        if let Some(t) = tail {
            let next_opens = paras
                .get(pi + 1)
                .is_some_and(|&(s, e)| starts_with_open(chars, s, e));
            if next_opens {
                pending.push(t);
            }
        }
    }
    units
}

/// Builds a unit from its parts and finds the single-quoted spans nested inside them.
fn close_unit(chars: &[char], parts: Vec<QuotePart>) -> QuoteUnit {
    let nested = parts.iter().flat_map(|p| nested_in(chars, p)).collect();
    QuoteUnit { parts, nested }
}

/// Single-quoted spans inside one part. Apostrophes ("Korvan’s", "can't") are told apart from
/// marks by their neighbours: an opening mark follows a space or the outer mark and precedes a
/// letter; a closing mark follows a non-space and precedes a non-letter.
fn nested_in(chars: &[char], p: &QuotePart) -> Vec<QuotePart> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for i in p.start..p.end {
        let c = chars[i];
        if c != '‘' && c != '’' && c != '\'' {
            continue;
        }
        let prev = if i > p.start {
            Some(chars[i - 1])
        } else {
            None
        };
        let next = if i + 1 < p.end {
            Some(chars[i + 1])
        } else {
            None
        };
        let can_open = c != '’'
            && prev.is_none_or(|x| x.is_whitespace() || "([—–-".contains(x))
            && next.is_some_and(|x| x.is_alphanumeric());
        let can_close = c != '‘'
            && prev.is_some_and(|x| !x.is_whitespace())
            && next.is_none_or(|x| !x.is_alphanumeric());
        match open {
            Some(o) if can_close => {
                if o + 1 < i {
                    out.push(QuotePart {
                        open: o,
                        start: o + 1,
                        end: i,
                        close: Some(i),
                    });
                }
                open = None;
            }
            None if can_open => open = Some(i),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(text: &str) -> Vec<Vec<String>> {
        let chars: Vec<char> = text.chars().collect();
        let paras = paragraphs(&chars);
        find_quotes(&chars, &paras)
            .iter()
            .map(|u| {
                u.parts
                    .iter()
                    .map(|p| chars[p.start..p.end].iter().collect())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn curly_and_straight_quotes_are_paired() {
        let u = units("“A,” she said. He said \"B.\"");
        assert_eq!(u, vec![vec!["A,".to_string()], vec!["B.".to_string()]]);
    }

    #[test]
    fn a_quote_running_over_two_paragraphs_is_one_unit_with_two_parts() {
        let u = units("“One.\n\n“Two,” she said.");
        assert_eq!(u, vec![vec!["One.".to_string(), "Two,".to_string()]]);
    }

    #[test]
    fn an_unclosed_quote_is_dropped() {
        assert!(units("“Never closed\n\nPlain text.").is_empty());
    }

    #[test]
    fn apostrophes_are_not_nested_quotes_but_single_marks_are() {
        let text = "“Korvan’s view is, ‘No deal,’ he said.”";
        let chars: Vec<char> = text.chars().collect();
        let q = find_quotes(&chars, &paragraphs(&chars));
        let n: Vec<String> = q[0]
            .nested
            .iter()
            .map(|p| chars[p.start..p.end].iter().collect())
            .collect();
        assert_eq!(n, vec!["No deal,".to_string()]);
    }

    #[test]
    fn two_apostrophes_work_as_a_double_mark() {
        let u = units("''They pay us,'' said Mr. King.");
        assert_eq!(u, vec![vec!["They pay us,".to_string()]]);
    }
}

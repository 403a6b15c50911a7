//! CSV dialects and a dialect-driven CSV reader.

/// How surrounding whitespace is trimmed from cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep whitespace.
    None,
    /// Strip both sides.
    Both,
    /// Strip leading whitespace.
    Start,
    /// Strip trailing whitespace.
    End,
}

/// A CSVW dialect description (defaults as in the Metadata Vocabulary, §5.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    /// Rows starting with this are comments.
    pub comment_prefix: Option<String>,
    /// Cell separator.
    pub delimiter: String,
    /// Whether `""` escapes a quote (otherwise `\"`).
    pub double_quote: bool,
    /// Character encoding label.
    pub encoding: String,
    /// Whether there is a header row.
    pub header: bool,
    /// Number of header rows.
    pub header_row_count: usize,
    /// Accepted line terminators.
    pub line_terminators: Vec<String>,
    /// Quote character (`None`: no quoting).
    pub quote_char: Option<char>,
    /// Whether to skip rows whose cells are all empty.
    pub skip_blank_rows: bool,
    /// Number of leading columns to ignore.
    pub skip_columns: usize,
    /// Whether to skip whitespace after a delimiter.
    pub skip_initial_space: bool,
    /// Number of leading rows to skip (kept as comments).
    pub skip_rows: usize,
    /// Whitespace trimming.
    pub trim: Trim,
}

impl Default for Dialect {
    fn default() -> Self {
        Self {
            comment_prefix: Some("#".to_owned()),
            delimiter: ",".to_owned(),
            double_quote: true,
            encoding: "utf-8".to_owned(),
            header: true,
            header_row_count: 1,
            line_terminators: vec!["\r\n".to_owned(), "\n".to_owned()],
            quote_char: Some('"'),
            skip_blank_rows: false,
            skip_columns: 0,
            skip_initial_space: false,
            skip_rows: 0,
            trim: Trim::Both,
        }
    }
}

/// One physical row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRow {
    /// A comment row (prefix stripped).
    Comment(String),
    /// A row of cells (after `skipColumns`? no: all cells, trimmed per dialect).
    Cells(Vec<String>),
}

/// The result of reading a file: its rows with their 1-based source row numbers.
#[derive(Debug, Clone, Default)]
pub struct ParsedCsv {
    /// Comments from skipped rows, header rows and comment rows.
    pub comments: Vec<String>,
    /// Header titles per column (after `skipColumns`), one entry per header row.
    pub header_rows: Vec<Vec<String>>,
    /// Data rows: source row number and cells (after `skipColumns`).
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Why a CSV file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}: {message}")]
pub struct CsvError {
    /// 1-based source row.
    pub row: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads CSV text (already decoded) according to `dialect`, keeping every row.
pub fn read_csv(text: &str, dialect: &Dialect) -> Result<ParsedCsv, CsvError> {
    let mut reader = CsvReader::new(text, dialect)?;
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows.push(row);
    }
    Ok(ParsedCsv {
        comments: reader.comments,
        header_rows: reader.header_rows,
        rows,
    })
}

/// Reads CSV text row by row: [`CsvReader::new`] reads the skipped and header rows,
/// [`CsvReader::next_row`] one data row at a time, so a caller need not hold every row.
pub struct CsvReader<'a> {
    reader: RowReader<'a>,
    source_row: usize,
    /// Comments from skipped rows, header rows and the comment rows read so far.
    pub comments: Vec<String>,
    /// Header titles per column (after `skipColumns`), one entry per header row.
    pub header_rows: Vec<Vec<String>>,
}

impl<'a> CsvReader<'a> {
    /// Reads the rows before the data: `skipRows`, then the header rows.
    pub fn new(text: &'a str, dialect: &'a Dialect) -> Result<Self, CsvError> {
        let mut this = Self {
            reader: RowReader {
                text,
                pos: 0,
                dialect,
            },
            source_row: 0,
            comments: Vec::new(),
            header_rows: Vec::new(),
        };
        for _ in 0..dialect.skip_rows {
            let Some(row) = this.reader.next_row(true, true)? else {
                return Ok(this);
            };
            this.source_row += 1;
            match row {
                RawRow::Comment(c) => this.comments.push(c),
                RawRow::Cells(cells) => {
                    let joined = cells.join(&dialect.delimiter);
                    if !joined.is_empty() {
                        this.comments.push(joined);
                    }
                }
            }
        }
        let header_rows = if dialect.header {
            dialect.header_row_count
        } else {
            0
        };
        while this.header_rows.len() < header_rows {
            // Header rows are never comments (a title may start with '#').
            let Some(row) = this.reader.next_row(false, false)? else {
                return Ok(this);
            };
            this.source_row += 1;
            match row {
                RawRow::Comment(c) => this.comments.push(c),
                RawRow::Cells(cells) => this
                    .header_rows
                    .push(cells.into_iter().skip(dialect.skip_columns).collect()),
            }
        }
        Ok(this)
    }

    /// The next data row: its 1-based source row number and cells (after `skipColumns`).
    /// Comment rows are added to [`CsvReader::comments`]; blank rows are skipped when the
    /// dialect says so.
    pub fn next_row(&mut self) -> Result<Option<(usize, Vec<String>)>, CsvError> {
        let dialect = self.reader.dialect;
        while let Some(row) = self.reader.next_row(false, true)? {
            self.source_row += 1;
            match row {
                RawRow::Comment(c) => self.comments.push(c),
                RawRow::Cells(cells) => {
                    if dialect.skip_blank_rows && cells.iter().all(String::is_empty) {
                        continue;
                    }
                    return Ok(Some((
                        self.source_row,
                        cells.into_iter().skip(dialect.skip_columns).collect(),
                    )));
                }
            }
        }
        Ok(None)
    }
}

struct RowReader<'a> {
    text: &'a str,
    pos: usize,
    dialect: &'a Dialect,
}

impl RowReader<'_> {
    fn at_terminator(&self, rest: &str) -> Option<usize> {
        self.dialect
            .line_terminators
            .iter()
            .filter(|t| !t.is_empty() && rest.starts_with(t.as_str()))
            .map(String::len)
            .max()
    }

    fn next_row(&mut self, raw: bool, comments: bool) -> Result<Option<RawRow>, CsvError> {
        if self.pos >= self.text.len() {
            return Ok(None);
        }
        let rest = &self.text[self.pos..];
        if let Some(prefix) = &self.dialect.comment_prefix
            && comments
            && !prefix.is_empty()
            && rest.starts_with(prefix.as_str())
        {
            let (line, len) = self.line_end(rest);
            self.pos += len;
            return Ok(Some(RawRow::Comment(
                line[prefix.len()..].trim().to_owned(),
            )));
        }
        if raw {
            let (line, len) = self.line_end(rest);
            self.pos += len;
            return Ok(Some(RawRow::Cells(vec![line.to_owned()])));
        }
        let d = self.dialect;
        let escape = if d.double_quote {
            d.quote_char
        } else {
            Some('\\')
        };
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        let mut at_cell_start = true;
        let mut i = 0;
        let bytes_len = rest.len();
        while i < bytes_len {
            let here = &rest[i..];
            let c = here.chars().next().unwrap_or('\0');
            if quoted {
                if Some(c) == escape && escape != d.quote_char {
                    // Backslash escape: the next character is literal.
                    let next = here[c.len_utf8()..].chars().next();
                    if let Some(n) = next {
                        cell.push(n);
                        i += c.len_utf8() + n.len_utf8();
                        continue;
                    }
                }
                if Some(c) == d.quote_char {
                    let after = &here[c.len_utf8()..];
                    if d.double_quote && after.starts_with(c) {
                        cell.push(c);
                        i += 2 * c.len_utf8();
                        continue;
                    }
                    quoted = false;
                    i += c.len_utf8();
                    continue;
                }
                cell.push(c);
                i += c.len_utf8();
                continue;
            }
            if let Some(len) = self.at_terminator(here) {
                i += len;
                cells.push(self.finish_cell(std::mem::take(&mut cell), was_quoted));
                self.pos += i;
                return Ok(Some(RawRow::Cells(cells)));
            }
            if !d.delimiter.is_empty() && here.starts_with(d.delimiter.as_str()) {
                cells.push(self.finish_cell(std::mem::take(&mut cell), was_quoted));
                was_quoted = false;
                at_cell_start = true;
                i += d.delimiter.len();
                if d.skip_initial_space {
                    while rest[i..].starts_with([' ', '\t']) {
                        i += 1;
                    }
                }
                continue;
            }
            if Some(c) == d.quote_char && (at_cell_start || cell.trim().is_empty()) {
                if !at_cell_start {
                    cell.clear();
                }
                quoted = true;
                was_quoted = true;
                at_cell_start = false;
                i += c.len_utf8();
                continue;
            }
            if !d.double_quote
                && c == '\\'
                && let Some(n) = here[1..].chars().next()
            {
                cell.push(n);
                i += 1 + n.len_utf8();
                at_cell_start = false;
                continue;
            }
            cell.push(c);
            at_cell_start = false;
            i += c.len_utf8();
        }
        if quoted {
            return Err(CsvError {
                row: 0,
                message: "unterminated quoted cell at end of file".to_owned(),
            });
        }
        cells.push(self.finish_cell(cell, was_quoted));
        self.pos += i;
        Ok(Some(RawRow::Cells(cells)))
    }

    fn line_end<'b>(&self, rest: &'b str) -> (&'b str, usize) {
        let mut i = 0;
        while i < rest.len() {
            if let Some(len) = self.at_terminator(&rest[i..]) {
                return (&rest[..i], i + len);
            }
            i += rest[i..].chars().next().map_or(1, char::len_utf8);
        }
        (rest, rest.len())
    }

    fn finish_cell(&self, cell: String, _quoted: bool) -> String {
        match self.dialect.trim {
            Trim::None => cell,
            Trim::Both => cell.trim().to_owned(),
            Trim::Start => cell.trim_start().to_owned(),
            Trim::End => cell.trim_end().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_comments() {
        let csv = "a,b\n# note\n\"x, \"\"y\"\"\",2\r\n";
        let parsed = read_csv(csv, &Dialect::default()).unwrap();
        assert_eq!(
            parsed.header_rows,
            vec![vec!["a".to_owned(), "b".to_owned()]]
        );
        assert_eq!(parsed.comments, vec!["note".to_owned()]);
        assert_eq!(
            parsed.rows,
            vec![(3, vec!["x, \"y\"".to_owned(), "2".to_owned()])]
        );
    }
}

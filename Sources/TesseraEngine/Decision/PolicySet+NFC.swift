import Cedar
import Foundation
import TesseraProtocol

extension PolicySet {
    /// Whether every string the parsed policies hold (literals with their `\u{…}` escapes read, entity identifiers,
    /// annotations) is in Unicode Normalization Form C (``UnicodeNFC``). ASCII text can spell `"Cre\u{301}dit"`, so the
    /// text's own check is not enough: such a literal names a string no request carries (requests are NFC), and a rule
    /// written with it would silently never apply, as Cedar compares bytes (RFC 8259 §8.3).
    var isNFC: Bool {
        JSONValue.parse(Data(jsonString(pretty: false).utf8)).map(UnicodeNFC.isNormalized) ?? false
    }
}

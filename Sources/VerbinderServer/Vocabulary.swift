import Foundation
import NIOConcurrencyHelpers
import VerbinderCore
import VerbinderGraph
import VerbinderProtocol
import VerbinderStore

/// Today's date in Europe/Amsterdam (`YYYY-MM-DD`): the day on which a node is current or
/// ended. Recomputed at most once a minute.
public enum Today {
    private static let cache = NIOLockedValueBox<(minute: Int, date: String)>((-1, ""))
    private static let zone = TimeZone(identifier: "Europe/Amsterdam") ?? .current

    public static func amsterdam(now: Date = Date()) -> String {
        let minute = Int(now.timeIntervalSince1970 / 60)
        if let cached = cache.withLockedValue({ $0.minute == minute ? $0.date : nil }) { return cached }
        let local = Int(now.timeIntervalSince1970) + zone.secondsFromGMT(for: now)
        let date = civilDate(daysSinceEpoch: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
        cache.withLockedValue { $0 = (minute, date) }
        return date
    }

    /// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's civil-from-days).
    static func civilDate(daysSinceEpoch days: Int) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

extension ThemeVocabulary {
    /// The theme key for a word, or `ERR INVALID unknown theme "zorgg" (did you mean zorg?)`.
    func require(_ text: String) throws(ProtocolError) -> String {
        switch resolve(text) {
        case .found(let key):
            return key
        case .unknown(let nearest):
            let hint = nearest.map { "did you mean \($0)?" } ?? "THEMES lists them"
            throw ProtocolError(.invalid, "unknown theme \(JSON.quoted(text)) (\(hint))")
        }
    }

    /// A comma-separated list of theme words as keys, in order, without duplicates.
    func requireList(_ text: String) throws(ProtocolError) -> [String] {
        var keys: [String] = []
        for part in text.split(separator: ",") {
            let word = part.trimmingCharacters(in: .whitespaces)
            if word.isEmpty { continue }
            let key = try require(word)
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }
}

extension LiveGraph {
    /// The theme vocabulary as it is now (a copy: cheap, and safe outside the lock).
    var vocabulary: ThemeVocabulary { read { $0.vocabulary } }
}

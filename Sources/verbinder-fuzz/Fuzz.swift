// A libFuzzer target for the request tokenizer and parser.
//
// Built for fuzzing by scripts/fuzz (`-sanitize=fuzzer,address -parse-as-library -DFUZZING`),
// where libFuzzer supplies `main`. Built normally, it is a replay tool: it runs every file
// given on the command line (e.g. Tests/fuzz-corpus/*) through the same checks.
import VerbinderProtocol

/// One input: parsing must never crash, and whatever parses must survive writing it back.
func check(_ bytes: UnsafeRawBufferPointer) {
    let input = Array(bytes)
    guard let request = try? Request.parse(input) else { return }
    guard let reparsed = try? Request.parse(request.line) else {
        fatalError("a parsed request did not parse again: \(request.line)")
    }
    precondition(reparsed == request, "round trip changed the request: \(request.line)")
    let record = Record("x", request.arguments.enumerated().map { ("a\($0.offset)", Value.string($0.element)) })
    let line = OutputFormat.text.render(record)
    precondition(!line.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "a record holds a raw control byte: \(line)")
    let tokens = try? Tokenizer.tokenize(line)
    precondition(tokens?.count == request.arguments.count + 1, "a record did not tokenize back")
    precondition(tokens?.dropFirst().map { token -> String in
        if case .option(_, let value) = token { return value }
        return "\u{0}" // never a value: NUL is refused
    } == request.arguments, "a record's values changed in a round trip: \(line)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer, _ size: Int) -> Int32 {
    check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("verbinder_fuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzzOneInput(UnsafeRawPointer(data), size)
    }
}
#else
import Foundation

@main
struct Replay {
    static func main() {
        var checked = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            data.withUnsafeBytes { check($0) }
            checked += 1
        }
        print("replayed \(checked) inputs without a crash")
    }
}
#endif

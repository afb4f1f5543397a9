import DeviceIdentity
import Foundation
import Gateway
import SpringCore
import TagReaders
import TestSupport
import Testing

/// Damages a valid sample the ways a hostile or broken sender would.
private struct Mutator {
    var random: SplitMix64

    private static let hugeNumbers = [
        "1e16", "1e308", "-1e308", "1e400", "-0", "99999999999999999999", "4294967296", "-1", "0.5", "1e-400",
    ]
    private static let oddText = ["\u{0}", "\u{FEFF}", "\u{202E}", "\\ud800", "\\u0000", "\u{1B}[2J", "\n", "é", "\u{10FFFF}", "\"", "\\"]
    private static let oddBytes: [[UInt8]] = [[0xC0, 0x80], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]

    mutating func mutate(_ sample: [UInt8]) -> [UInt8] {
        var bytes = sample
        for _ in 0..<Int.random(in: 1...3, using: &random) { bytes = once(bytes) }
        return bytes
    }

    private mutating func position(in bytes: [UInt8]) -> Int { bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random) }

    private mutating func once(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        switch Int.random(in: 0..<10, using: &random) {
        case 0 where !bytes.isEmpty:  // bit flip
            let index = Int.random(in: 0..<bytes.count, using: &random)
            bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        case 1:  // truncation
            bytes = Array(bytes.prefix(position(in: bytes)))
        case 2:  // a number token replaced by one that does not fit
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
            guard let start = digits.randomElement(using: &random) else { break }
            var end = start
            while end < bytes.count, (0x30...0x39).contains(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(Self.hugeNumbers.randomElement(using: &random)!.utf8))
        case 3:  // deep nesting
            let depth = [10, 200, 600, 5000].randomElement(using: &random)!
            bytes = Array(repeating: UInt8(ascii: "["), count: depth) + bytes + Array(repeating: UInt8(ascii: "]"), count: depth)
        case 4:  // a member duplicated, after its first occurrence
            let text = String(decoding: bytes, as: UTF8.self)
            let members = text.split(separator: ",", omittingEmptySubsequences: true)
            guard members.count > 2 else { break }
            let member = members[Int.random(in: 1..<members.count - 1, using: &random)]
            bytes = Array(text.replacingOccurrences(of: member, with: member + "," + member).utf8)
        case 5:  // odd Unicode, escaped or raw, inside strings or anywhere
            bytes.insert(contentsOf: Array(Self.oddText.randomElement(using: &random)!.utf8), at: position(in: bytes))
        case 6:  // invalid UTF-8
            bytes.insert(contentsOf: Self.oddBytes.randomElement(using: &random)!, at: position(in: bytes))
        case 7:  // a very long string
            let quote = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\"") }.randomElement(using: &random) ?? 0
            let length = [300, 5_000, 70_000].randomElement(using: &random)!
            bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "A"), count: length), at: Swift.min(quote + 1, bytes.count))
        case 8:  // a random byte anywhere
            bytes.insert(UInt8.random(in: 0...255, using: &random), at: position(in: bytes))
        default:  // a slice moved elsewhere
            let from = position(in: bytes)
            let to = Swift.min(bytes.count, from + Int.random(in: 0...40, using: &random))
            let slice = Array(bytes[from..<to])
            bytes.insert(contentsOf: slice, at: position(in: bytes))
        }
        return bytes
    }
}

/// Feeds `count` mutations of the samples to `judge`. A trap ends the test process (a failure);
/// a call that takes over 2 s is reported as a hang; an error must say something.
private func fuzz(
    _ samples: [[UInt8]], count: Int, seed: UInt64, _ judge: ([UInt8]) -> (any Error)?
) -> (accepted: Int, refused: Int) {
    var mutator = Mutator(random: SplitMix64(seed: seed))
    var (accepted, refused) = (0, 0)
    for round in 0..<count {
        let input = mutator.mutate(samples[round % samples.count])
        let started = ContinuousClock.now
        let error = judge(input)
        let took = ContinuousClock.now - started
        if took > .seconds(2) {
            Issue.record(
                "round \(round) (seed \(seed)) took \(took): \(String(decoding: input.prefix(200), as: UTF8.self).debugDescription)")
        }
        if let error {
            refused += 1
            let text = "\(error)"
            #expect(!text.isEmpty && text.count < 4096, "round \(round): an error of \(text.count) characters: \(text.prefix(300))")
        } else {
            accepted += 1
        }
    }
    return (accepted, refused)
}

private func catching(_ body: () throws -> Void) -> (any Error)? {
    do { try body() } catch { return error }
    return nil
}

@Suite("fuzz: damaged CONFIG-DATA files, traces, control-socket lines and host commands get an answer, never a trap or a hang")
struct FuzzTests {
    @Test("CONFIG-DATA files through the whole judgement a push meets")
    func configurationFiles() throws {
        let root = temporaryDirectory()
        let pki = try DevelopmentPKI.create(at: root + "/pki")
        let profile = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
        let state = DeviceStateDirectory(path: root + "/device")
        try DeviceProvisioning(pki: pki, profile: profile).provision(
            state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "broker.example", port: 8883))
        let judgement = ConfigurationJudgement(options: DeviceRunOptions())
        let samples = [
            Array(try state.loadCurrentFile().serialized()), Array(profile.defaults.serialized()),
            Array(#"{"config":{"86.s":"broker.example","85":"22B3","8E.s":"a/b","8F.s":"gate-1","C0":"64","A0":"0003000200"}}"#.utf8),
        ]
        let (accepted, refused) = fuzz(samples, count: 3000, seed: 0x5EED_0001) { input in
            catching {
                let file = try ConfigData.parse(Data(input), file: "fuzz.json")
                _ = try judgement.judge(file, source: "fuzz.json", state: state, logger: quietLogger)
                // What is accepted is written back as config.json would be, and reads the same.
                #expect(try ConfigData.parse(file.serialized(), file: "again.json") == file)
            }
        }
        #expect(accepted > 0 && refused > 0, "accepted \(accepted), refused \(refused)")
    }

    @Test("traces")
    func traces() throws {
        let sample = try String(contentsOfFile: deviceProfilesDirectory + "/../Traces/springpark-sample.jsonl", encoding: .utf8)
        let lines = sample.split(separator: "\n").map { Array($0.utf8) }
        let samples = [Array(sample.utf8)] + lines
        let (accepted, refused) = fuzz(samples, count: 3000, seed: 0x5EED_0002) { input in
            catching {
                let trace = try Trace.parse(Data(input), file: "fuzz.jsonl")
                for entry in trace.entries { _ = Trace.line(for: entry.event, at: entry.offset) }
            }
        }
        #expect(accepted > 0 && refused > 0, "accepted \(accepted), refused \(refused)")
    }

    @Test("control-socket lines, and the files a push carries")
    func controlLines() throws {
        let profile = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
        let requests: [ControlRequest] = [
            .push(content: Array(profile.defaults.serialized()), source: "fuzz", loadDefaults: false, reset: true), .reload, .health,
            .retryRefused, .discardRefused,
        ]
        let (accepted, refused) = fuzz(requests.map { Array($0.line.utf8) }, count: 3000, seed: 0x5EED_0003) { input in
            catching {
                let request = try ControlRequest(line: input)
                #expect(try ControlRequest(line: Array(request.line.utf8)) == request)
                if case .push(let content, _, _, _) = request { _ = try ConfigData.parse(Data(content), file: "pushed.json") }
            }
        }
        #expect(accepted > 0 && refused > 0, "accepted \(accepted), refused \(refused)")
    }

    @Test("host commands from rdr/cmd")
    func hostCommands() {
        let samples = [
            Array("$SCCMD;SEQ=60".utf8), Array(#"{"LEDS":"92929292","BUZZ":"0064","N":12}"#.utf8), Array(#"{"N":1e300,"M":-1e400}"#.utf8),
        ]
        let (accepted, refused) = fuzz(samples, count: 3000, seed: 0x5EED_0004) { input in
            catching { _ = try HostCommand.parse(input) }
        }
        #expect(accepted > 0 && refused > 0, "accepted \(accepted), refused \(refused)")
    }
}

import TagReaders
import Testing

/// Key presses as a reader sends them: press and release records with a SYN after each, as
/// the kernel reports them.
private func keystrokes(_ codes: [(code: UInt16, shifted: Bool)]) -> [UInt8] {
    var bytes: [UInt8] = []
    for (code, shifted) in codes {
        if shifted { bytes += EvdevKeyboardDecoder.record(code: 42, value: 1) }
        bytes += EvdevKeyboardDecoder.record(code: 4, value: 458_792, type: 4)  // EV_MSC scan code, ignored
        bytes += EvdevKeyboardDecoder.record(code: code, value: 1) + EvdevKeyboardDecoder.record(code: 0, value: 0, type: 0)
        bytes += EvdevKeyboardDecoder.record(code: code, value: 0)
        if shifted { bytes += EvdevKeyboardDecoder.record(code: 42, value: 0) }
    }
    return bytes
}

@Test("a QWERTY reader typing hex: shift for letters, Enter ends the tag")
func qwertyHex() {
    var decoder = EvdevKeyboardDecoder(layout: .qwerty)
    // 0 4 7 D A E 0 2, Enter
    let stream = keystrokes([(11, false), (5, false), (8, false), (32, true), (30, true), (18, true), (11, false), (3, false), (28, false)])
    #expect(decoder.feed(Array(stream.prefix(100))).isEmpty, "records split anywhere are reassembled")
    #expect(decoder.feed(Array(stream.dropFirst(100))) == [.tag(TagEvent(tagID: "047DAE02", protocolName: "NFC-A", move: .insert))])
}

@Test("an AZERTY reader typing decimal: digits need shift on the top row; the number becomes hex")
func azertyDecimal() {
    var decoder = EvdevKeyboardDecoder(layout: .azerty)
    // 3 6 5 8 6 4 2 8 6 4 on the AZERTY top row (codes 4 7 6 9 7 5 3 9 7 5, shifted), then keypad Enter.
    let digits: [UInt16] = [4, 7, 6, 9, 7, 5, 3, 9, 7, 5]
    let stream = keystrokes(digits.map { ($0, true) } + [(96, false)])
    #expect(
        decoder.feed(stream) == [.tag(TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert, tagDetails: "decimal 3658642864"))])
    var unshifted = EvdevKeyboardDecoder(layout: .azerty)
    #expect(unshifted.feed(keystrokes(digits.map { ($0, false) } + [(28, false)])).isEmpty, "& é \" ' ... are not an identifier")
    var wrongLayout = EvdevKeyboardDecoder(layout: .qwerty)
    #expect(wrongLayout.feed(stream).isEmpty, "the wrong layout reads nothing rather than a wrong number")
}

@Test("QWERTZ swaps Y and Z; auto-repeat types nothing; a runaway line is dropped")
func qwertzAndRepeats() {
    var decoder = EvdevKeyboardDecoder(layout: .qwertz)
    let repeatRecord = EvdevKeyboardDecoder.record(code: 11, value: 2)
    #expect(
        decoder.feed(keystrokes([(11, false), (5, false)]) + repeatRecord + keystrokes([(28, false)])) == [
            .tag(TagEvent(tagID: "00000004", protocolName: "NFC-A", move: .insert, tagDetails: "decimal 04"))
        ])
    #expect(decoder.feed(keystrokes([(21, false), (28, false)])) == [.dropped("\"z\" is neither hex nor decimal")])
    let runaway = keystrokes(Array(repeating: (11, false), count: 65))
    #expect(decoder.feed(runaway) == [.dropped("64 characters typed without the suffix (enter); check the reader's suffix and layout")])
    var tabbed = EvdevKeyboardDecoder(layout: .qwerty, suffix: .tab)
    #expect(
        tabbed.feed(keystrokes([(30, true), (48, true), (28, false), (15, false)])) == [
            .tag(TagEvent(tagID: "AB", protocolName: "NFC-A", move: .insert))
        ], "Enter is not the suffix here")
}

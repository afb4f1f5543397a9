import SpringCore

/// What a key code (Linux input event codes, which name physical key positions) types under a
/// layout, unshifted and shifted. Only what identifiers use: digits, letters, and the keypad.
enum KeyboardLayoutMap {
    static let enter: UInt16 = 28
    static let keypadEnter: UInt16 = 96
    static let tab: UInt16 = 15
    static let leftShift: UInt16 = 42
    static let rightShift: UInt16 = 54

    private static let letterRows: [(first: UInt16, letters: String)] = [(16, "qwertyuiop"), (30, "asdfghjkl"), (44, "zxcvbnm")]
    private static let keypad: [UInt16: Character] = [
        71: "7", 72: "8", 73: "9", 75: "4", 76: "5", 77: "6", 79: "1", 80: "2", 81: "3", 82: "0",
    ]

    static func character(code: UInt16, shifted: Bool, layout: KeyboardLayout) -> Character? {
        if let digit = keypad[code] { return digit }
        if (2...11).contains(code) {
            let digit = Array("1234567890")[Int(code - 2)]
            switch layout {
            // AZERTY types digits with shift; unshifted, the row gives & é " ' ( - è _ ç à.
            case .azerty: return shifted ? digit : nil
            case .qwerty, .qwertz: return shifted ? nil : digit
            }
        }
        for row in letterRows where (row.first..<row.first + UInt16(row.letters.count)).contains(code) {
            var letter = Array(row.letters)[Int(code - row.first)]
            switch (layout, letter) {
            case (.azerty, "q"): letter = "a"
            case (.azerty, "a"): letter = "q"
            case (.azerty, "w"): letter = "z"
            case (.azerty, "z"): letter = "w"
            case (.qwertz, "y"): letter = "z"
            case (.qwertz, "z"): letter = "y"
            default: break
            }
            return shifted ? Character(letter.uppercased()) : letter
        }
        // AZERTY's M sits where QWERTY has the semicolon.
        if layout == .azerty && code == 39 { return shifted ? "M" : "m" }
        return nil
    }
}

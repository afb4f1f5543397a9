/// The RF side of the emulated PN532: the field, and the card in it with its ISO 14443 state.
/// A type A card answers REQA only when IDLE. One the poll left selected (ISO 14443-3 ACTIVE)
/// takes the next REQA for an unexpected command and drops back to IDLE without answering. An
/// ISO 14443-4 type A card (SAK bit 0x20) also gets RATS from InListPassiveTarget while the
/// PN532's fAutomaticRATS is set (its power-on value, UM0701-02 SetParameters), and in that
/// PROTOCOL state ignores REQA altogether: only S(DESELECT) (InRelease, InDeselect) or a field
/// reset gets it out. A card in HALT waits for a WUPA, which InListPassiveTarget does not send.
/// A type B card answers REQB only when IDLE (ATTRIB takes it to PROTOCOL). FeliCa cards answer
/// every polling request. Switching the field off for at least `resetTime` resets every card.
struct PN532EmulatedField {
    enum CardState: Equatable {
        case idle
        case active
        /// ISO 14443-4 activated: RATS (type A) or ATTRIB (type B) answered.
        case protocolActive
        case halted
    }

    /// ISO/IEC 14443 resets a card whose field has been off for at least 5 ms.
    static let resetTime: Duration = .milliseconds(5)

    private(set) var card: PN532Emulator.Card?
    private(set) var cardState = CardState.idle
    private(set) var isOn = false
    private var switchedOff: ContinuousClock.Instant?

    /// A card brought into the field (powered if the field is on) or taken out of it.
    mutating func place(_ card: PN532Emulator.Card?) {
        self.card = card
        cardState = .idle
    }

    mutating func switchOn() {
        if let switchedOff, ContinuousClock.now - switchedOff >= Self.resetTime { cardState = .idle }
        switchedOff = nil
        isOn = true
    }

    mutating func switchOff() {
        guard isOn else { return }
        isOn = false
        switchedOff = .now
    }

    /// One activation try of InListPassiveTarget for `baudRateType`: the target data (after Tg)
    /// if a card answered and was activated. `automaticRATS` is the PN532's fAutomaticRATS.
    mutating func activationTry(baudRateType: UInt8, automaticRATS: Bool) -> [UInt8]? {
        if !isOn { switchOn() }
        guard let card else { return nil }
        switch (card.technology, baudRateType) {
        case (.typeA(let atqa, let sak, let ats), 0x00):
            switch cardState {
            case .idle:
                let speaksISO14443_4 = automaticRATS && card.speaksISO14443_4
                cardState = speaksISO14443_4 ? .protocolActive : .active
                return atqa + [sak, UInt8(card.uid.count)] + card.uid + (speaksISO14443_4 ? ats : [])
            case .active:
                cardState = .idle
                return nil
            case .protocolActive, .halted:
                return nil
            }
        case (.felica(let pmm, let systemCode), 0x01), (.felica(let pmm, let systemCode), 0x02):
            // POL_RES with the system code, as the reader's polling request asks for it.
            let response = [0x01] + card.uid + pmm + systemCode
            return [UInt8(response.count + 1)] + response
        case (.typeB(let applicationData, let protocolInfo), 0x03):
            guard cardState == .idle else { return nil }
            cardState = .protocolActive
            // ATQB, then the ATTRIB_RES length and ATTRIB_RES (MBLI/CID 0).
            return [0x50] + card.uid + applicationData + protocolInfo + [0x01, 0x00]
        default:
            return nil
        }
    }

    /// InRelease or InDeselect: a card in PROTOCOL gets S(DESELECT) and goes to HALT; other
    /// cards are not told anything.
    mutating func deselect() {
        guard cardState == .protocolActive else { return }
        cardState = .halted
    }

    /// Whether InDataExchange reaches a card: one the poll left selected.
    var cardSelected: Bool { cardState == .active || cardState == .protocolActive }
}

/* quic_initial: being written */

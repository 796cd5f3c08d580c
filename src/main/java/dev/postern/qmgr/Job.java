package dev.postern.qmgr;

import dev.postern.mail.MailAddress;

import java.util.List;

/** One delivery request waiting for, or holding, a slot: a message's recipients for one destination. */
record Job(ActiveMessage message, Route route, List<MailAddress> recipients) {
    Job {
        recipients = List.copyOf(recipients);
    }

    Scheduler.Key destination() {
        return new Scheduler.Key(route.transport(), route.nexthop());
    }
}

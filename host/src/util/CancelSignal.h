#pragma once
// A request's caller going away, told to whoever does the work: the web layer cancels when the client
// of a deferred reply disconnects; the gateway then cancels the upstream request (notifications/cancelled)
// instead of letting the server work for nobody.
#include <functional>
#include <mutex>
#include <string>
#include <utility>

namespace mc::host {

class CancelSignal {
public:
    // `action` runs once, on the thread that cancels (at once, here, when cancel() came first). A later
    // call replaces an action that has not run.
    void onCancel(std::function<void()> action) {
        std::unique_lock lock(mutex_);
        if (!cancelled_) {
            action_ = std::move(action);
            return;
        }
        lock.unlock();
        if (action) action();
    }
    // `reason` goes upstream with the cancellation (the first one counts).
    void cancel(std::string reason = "the client went away") {
        std::function<void()> action;
        {
            std::lock_guard lock(mutex_);
            if (cancelled_) return;
            cancelled_ = true;
            reason_ = std::move(reason);
            action.swap(action_);
        }
        if (action) action();
    }
    bool cancelled() const {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }
    std::string reason() const {
        std::lock_guard lock(mutex_);
        return reason_;
    }

private:
    mutable std::mutex mutex_;
    bool cancelled_ = false;
    std::string reason_;
    std::function<void()> action_;
};

} // namespace mc::host

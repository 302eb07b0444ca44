import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import { type Stripe, loadStripe } from '@stripe/stripe-js';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/client';

const loaded = new Map<string, Promise<Stripe | null>>();

/**
 * Stripe Elements for a pending purchase: the card form of Stripe.js (loaded only when
 * the server reports a publishable key), then a wait for the server to see the
 * webhook — credits are added only there, never by the browser.
 */
export function StripePayment(props: { publishableKey: string; clientSecret: string; paymentId: string; onPaid(): void }) {
  let stripe = loaded.get(props.publishableKey);
  if (!stripe) {
    stripe = loadStripe(props.publishableKey);
    loaded.set(props.publishableKey, stripe);
  }
  return (
    <Elements stripe={stripe} options={{ clientSecret: props.clientSecret }}>
      <CardForm paymentId={props.paymentId} onPaid={props.onPaid} />
    </Elements>
  );
}

function CardForm({ paymentId, onPaid }: { paymentId: string; onPaid(): void }) {
  const stripe = useStripe();
  const elements = useElements();
  const [state, setState] = useState<'idle' | 'paying' | 'waiting' | 'failed'>('idle');
  const [message, setMessage] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!stripe || !elements) return;
    setState('paying');
    setMessage(null);
    const r = await stripe.confirmPayment({ elements, redirect: 'if_required' });
    if (r.error) {
      setState('failed');
      setMessage(r.error.message ?? 'The payment did not go through.');
      return;
    }
    setState('waiting');
    for (let i = 0; i < 60; i++) {
      const page = await api('GET /api/credits/payments', { query: { limit: 20 } });
      const p = page.items.find((x) => x.id === paymentId);
      if (p?.status === 'succeeded') return onPaid();
      if (p?.status === 'failed') {
        setState('failed');
        setMessage('The payment failed.');
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    setMessage('The payment is still being confirmed; your credits appear as soon as it is.');
  }

  return (
    <form onSubmit={submit} className="stripe-form">
      <PaymentElement />
      {message ? (
        <p className={state === 'failed' ? 'notice notice-error' : 'notice'} role={state === 'failed' ? 'alert' : 'status'}>
          {message}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={!stripe || state === 'paying' || state === 'waiting'}>
          {state === 'paying' ? 'Paying…' : state === 'waiting' ? 'Confirming…' : 'Pay'}
        </button>
      </div>
    </form>
  );
}
